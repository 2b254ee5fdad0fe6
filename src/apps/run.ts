/**
 * The model call of a prepared generation as Dify's event stream. Whatever ends it — the answer, a
 * provider error, a stop request (any process), the client going away, the execution time limit —
 * the message row is completed with the answer so far, its usage and status.
 */
import type pg from 'pg';
import { ModelRuntimeError, type LlmResult, type LlmUsage, type ModelRuntime } from '../model-runtime/types.js';
import { AppRequestError } from './errors.js';
import type { AppEvent, MessageMetadata } from './events.js';
import { moderationFor } from './moderation.js';
import type { Prepared } from './prepare.js';
import { finishMessage, type MessageStatus } from './records.js';
import type { RunningTask } from './stop-flags.js';

export interface RunDeps {
  pool: pg.Pool;
  runtime: ModelRuntime;
  logger?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Dify's APP_MAX_EXECUTION_TIME: past it the generation stops like a stop request. @default 1200 s */
  maxExecutionMs?: number;
}

const ZERO = '0.0';
const emptyUsage = (): LlmUsage => ({
  prompt_tokens: 0,
  prompt_unit_price: ZERO,
  prompt_price_unit: ZERO,
  prompt_price: ZERO,
  completion_tokens: 0,
  completion_unit_price: ZERO,
  completion_price_unit: ZERO,
  completion_price: ZERO,
  total_tokens: 0,
  total_price: ZERO,
  currency: 'USD',
  latency: 0,
});

/** The error event of a failure: Dify's code for model errors; anything else from the call is a request error. */
export function errorEvent(error: unknown): Extract<AppEvent, { event: 'error' }> {
  if (error instanceof ModelRuntimeError)
    return {
      event: 'error',
      code: error.code,
      status: error.status,
      message: error.message,
      ...(error.kind ? { kind: error.kind } : {}),
    };
  if (error instanceof AppRequestError)
    return { event: 'error', code: error.code, status: error.status, message: error.message };
  return {
    event: 'error',
    code: 'completion_request_error',
    status: 400,
    message: error instanceof Error ? error.message : String(error),
  };
}

/** Token counts the provider did not report (a stopped stream) are counted here, as Dify does. */
function settledUsage(
  runtime: ModelRuntime,
  prepared: Prepared,
  result: LlmResult | undefined,
  answer: string,
  startedAt: number,
): LlmUsage {
  const usage = { ...(result?.usage ?? emptyUsage()) };
  if (!usage.prompt_tokens) usage.prompt_tokens = runtime.countTokens(prepared.prompt.messages);
  if (!usage.completion_tokens && answer) usage.completion_tokens = runtime.countTokens(answer);
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  if (!usage.latency) usage.latency = (performance.now() - startedAt) / 1000;
  return usage;
}

export async function* runGeneration(
  deps: RunDeps,
  prepared: Prepared,
  task: RunningTask,
  clientSignal?: AbortSignal,
): AsyncGenerator<AppEvent> {
  const startedAt = performance.now();
  const upstream = new AbortController();
  let stoppedBy: string | undefined;
  const stop = (reason: string) => () => {
    stoppedBy ??= reason;
    upstream.abort();
  };
  const onStop = stop('user_manual');
  const onClient = stop('client_disconnect');
  task.signal?.addEventListener('abort', onStop);
  clientSignal?.addEventListener('abort', onClient);
  if (task.signal?.aborted) onStop();
  if (clientSignal?.aborted) onClient();
  const limit = setTimeout(stop('timeout'), deps.maxExecutionMs ?? 1_200_000);
  let answer = '';
  let result: LlmResult | undefined;
  let failure: unknown;
  let finished = false;
  const moderation = moderationFor(prepared.config);
  const finish = async (status: MessageStatus, metadata: MessageMetadata, error: string | null): Promise<void> => {
    finished = true;
    await finishMessage(deps.pool, {
      messageId: prepared.messageId,
      prompt: prepared.prompt.messages,
      answer: answer.trim(),
      usage: metadata.usage,
      latencySeconds: (performance.now() - startedAt) / 1000,
      status,
      error,
      metadata: { ...metadata, ...(stoppedBy ? { stopped_by: stoppedBy } : {}) },
    });
  };
  try {
    const preset = moderation.checkInputs(prepared.inputs, prepared.query);
    if (preset !== undefined) {
      answer = preset;
      yield { event: 'message', answer: preset };
    } else {
      const call = deps.runtime.invokeLlm({
        tenantId: prepared.endUser.tenantId,
        provider: prepared.model.provider,
        model: prepared.model.name,
        mode: prepared.prompt.mode,
        messages: prepared.prompt.messages,
        parameters: { ...prepared.model.completion_params, stop: prepared.prompt.stop },
        signal: upstream.signal,
        user: prepared.endUser.sessionId,
        stream: prepared.stream,
      });
      // Nobody may await `result` later (an error below): keep its rejection from being unhandled.
      call.result.catch(() => undefined);
      try {
        if (prepared.stream) {
          for await (const delta of call.textStream) {
            if (!delta) continue;
            answer += delta;
            yield { event: 'message', answer: delta };
          }
          result = await call.result;
        } else {
          // A blocking answer is wanted whole: the result's text, without the stream of its deltas.
          result = await call.result;
          answer = result.text;
          if (answer) yield { event: 'message', answer };
        }
      } catch (error) {
        if (!upstream.signal.aborted) throw error;
        result = await call.result.catch(() => undefined);
      }
    }
    const replaced = moderation.checkOutput(answer);
    if (replaced !== undefined) {
      answer = replaced;
      yield { event: 'message_replace', answer: replaced, reason: 'output_moderation' };
    }
    const metadata: MessageMetadata = {
      annotation_reply: null,
      retriever_resources: prepared.retrieverResources,
      usage: settledUsage(deps.runtime, prepared, result, answer, startedAt),
    };
    await finish(stoppedBy ? 'stopped' : 'normal', metadata, null);
    yield { event: 'message_end', metadata, files: null, ...(result ? { finishReason: result.finishReason } : {}) };
  } catch (error) {
    failure = error;
    deps.logger?.warn(
      { err: error instanceof Error ? error.message : String(error), messageId: prepared.messageId },
      'generation failed',
    );
    const event = errorEvent(error);
    if (!finished) {
      const usage = settledUsage(deps.runtime, prepared, result, answer, startedAt);
      await finish('error', { annotation_reply: null, retriever_resources: [], usage }, event.message).catch(
        (e: unknown) => deps.logger?.error({ err: String(e) }, 'message row not completed'),
      );
    }
    yield event;
  } finally {
    clearTimeout(limit);
    task.signal?.removeEventListener('abort', onStop);
    clientSignal?.removeEventListener('abort', onClient);
    // The consumer left early (client gone): the upstream call stops, and the row keeps what came.
    if (!finished && failure === undefined) {
      stoppedBy ??= 'client_disconnect';
      upstream.abort();
      const usage = settledUsage(deps.runtime, prepared, result, answer, startedAt);
      await finish('stopped', { annotation_reply: null, retriever_resources: [], usage }, null).catch((e: unknown) =>
        deps.logger?.error({ err: String(e) }, 'message row not completed'),
      );
    }
    task.end();
  }
}
