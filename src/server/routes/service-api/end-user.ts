import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError, badRequest, unauthorized } from '../../http-error.js';

type AppAuth = Extract<NonNullable<FastifyRequest['auth']>, { kind: 'app' }>;

/** The app modes whose conversations the service API lists (Dify: chat, agent-chat, advanced-chat). */
export const CONVERSATION_APP_MODES = ['chat', 'agent-chat', 'advanced-chat'];

/** The app behind the request's key (the auth hook guarantees one on /v1 routes). */
export function appOf(request: FastifyRequest): AppAuth {
  if (request.auth?.kind !== 'app') throw unauthorized();
  return request.auth;
}

/** Dify's NotChatAppError for conversation routes called with a completion app's key. */
export function chatAppOf(request: FastifyRequest): AppAuth {
  const app = appOf(request);
  if (!CONVERSATION_APP_MODES.includes(app.appMode))
    throw new HttpError(400, 'not_chat_app', 'Please check if your Chat app mode matches the right API route.');
  return app;
}

/** `user`: the end user's identifier, any string the developer picks (Dify stores it as the session id). */
export const userField = z.string().max(255).optional();

/** A route where Dify requires `user` (feedback, suggestions). */
export function requireUser(user: string | undefined): string {
  if (!user) throw badRequest('Arg user must be provided.');
  return user;
}

/** An id that may also be sent empty (`first_id=`, `last_id=`): empty means none, as in Dify. */
export const optionalUuid = z.preprocess(
  (v) => (v === '' || v === null ? undefined : v),
  z.string().uuid({ message: 'must be a UUID' }).optional(),
);
