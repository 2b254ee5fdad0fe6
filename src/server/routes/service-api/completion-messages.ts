import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { generateCompletion } from '../../../apps/index.js';
import type { AppContext } from '../../context.js';
import { HttpError } from '../../http-error.js';
import { appCall } from '../app-errors.js';
import { parse } from '../validate.js';
import { callingApp, filesField, responseMode, stopTask, userField, type MessageRoutesDeps } from './generation.js';
import { clientGone, renderGeneration } from './render.js';

const CompletionBody = z.object({
  inputs: z.record(z.string(), z.unknown(), { message: 'must be an object' }),
  query: z
    .string()
    .max(100_000)
    .nullish()
    .transform((v) => v ?? ''),
  response_mode: responseMode,
  user: userField,
  files: filesField,
  retriever_from: z.string().max(32).nullish(),
});

const appUnavailable = (): HttpError =>
  new HttpError(400, 'app_unavailable', 'App unavailable, please check your app configurations.');

/** `POST /v1/completion-messages` and `POST /v1/completion-messages/<task_id>/stop`: validate → generateCompletion → render. */
export async function completionMessageRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  deps: MessageRoutesDeps,
): Promise<void> {
  app.post('/completion-messages', async (request, reply) => {
    const target = callingApp(request);
    if (target.mode !== 'completion') throw appUnavailable();
    const body = parse(CompletionBody, request.body);
    const signal = clientGone(reply);
    const generation = await appCall(() =>
      generateCompletion(deps.generator, {
        app: target,
        user: body.user,
        inputs: body.inputs,
        query: body.query,
        files: body.files,
        signal,
        stream: body.response_mode === 'streaming',
      }),
    );
    return renderGeneration(reply, generation, body.response_mode, {
      pingMs: deps.pingMs,
      onError: (error) => ctx.logger.error({ err: error }, 'completion stream failed'),
    });
  });

  app.post('/completion-messages/:task_id/stop', async (request) => {
    const target = callingApp(request);
    if (target.mode !== 'completion') throw appUnavailable();
    return stopTask(ctx, deps, request, target.appId);
  });
}
