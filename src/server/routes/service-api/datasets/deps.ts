import type { FastifyRequest } from 'fastify';
import { KnowledgeError, type KnowledgeDeps } from '../../../../knowledge/index.js';
import type { AppContext } from '../../../context.js';
import { HttpError, unauthorized } from '../../../http-error.js';
import { ENQUEUE_TIMEOUT_MS, withDeadline } from '../../../store/queue.js';

/** What the knowledge routes hand to src/knowledge: the pool, model runtime, configured vector store, `dataset` queue. */
export function knowledgeDeps(ctx: AppContext): KnowledgeDeps {
  return {
    pool: ctx.pool,
    runtime: ctx.modelRuntime,
    store: ctx.vectors,
    enqueue: (name, data) =>
      withDeadline(ctx.queue.enqueue('dataset', name, data), { ms: ENQUEUE_TIMEOUT_MS, what: 'the task queue' }),
  };
}

/** The workspace of a knowledge API key (the auth hook guarantees one on these routes). */
export function workspaceOf(request: FastifyRequest): string {
  if (request.auth?.kind !== 'dataset') throw unauthorized('Access token is invalid');
  return request.auth.tenantId;
}

/** Runs a call into src/knowledge; its client errors leave as Dify's `{code, message, status}`. */
export async function knowledgeCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof KnowledgeError) throw new HttpError(error.status, error.code, error.message);
    if (error instanceof Error && error.name === 'ModelRuntimeError') {
      const e = error as Error & { code: string; status: number };
      throw new HttpError(e.status, e.code, e.message);
    }
    throw error;
  }
}
