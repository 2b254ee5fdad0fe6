import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext, RouteAuth } from '../context.js';
import { unauthorized } from '../http-error.js';
import { resolveDatasetKey } from '../services/dataset-keys.js';

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Authentication on every route unless it says `config: { auth: 'none' }`: console routes take an
 * access token, service API routes (`/v1`) an app key. Runs at onRequest, before the body is read,
 * so an anonymous caller learns nothing about a route but 401.
 */
export function registerAuth(app: FastifyInstance, ctx: Pick<AppContext, 'tokens' | 'appKeys' | 'pool'>): void {
  // A callback hook: public routes (/health) pass without a promise; the others wait for `authenticate`.
  app.addHook('onRequest', (request, _reply, done) => {
    // Unknown URLs have no route config: they fall through to the 404 handler. (routeOptions is a getter
    // that builds an object: read once.)
    const { url, config } = request.routeOptions;
    if (!url) return done();
    const mode: RouteAuth = config.auth ?? 'console';
    if (mode === 'none') return done();
    authenticate(request, mode, ctx).then(() => done(), done);
  });
}

async function authenticate(
  request: FastifyRequest,
  mode: Exclude<RouteAuth, 'none'>,
  ctx: Pick<AppContext, 'tokens' | 'appKeys' | 'pool'>,
): Promise<void> {
  const token = bearer(request);
  if (!token) throw unauthorized("Invalid Authorization header format. Expected 'Bearer <api-key>' format.");
  if (mode === 'app-key') {
    const owner = await ctx.appKeys(token);
    if (!owner) throw unauthorized('Access token is invalid');
    request.auth = { kind: 'app', ...owner };
    return;
  }
  if (mode === 'dataset-key') {
    const owner = await resolveDatasetKey(ctx.pool, token);
    if (!owner) throw unauthorized('Access token is invalid');
    request.auth = { kind: 'dataset', ...owner };
    return;
  }
  const claims = await ctx.tokens.verifyAccess(token);
  if (!claims) throw unauthorized('Invalid or expired access token.');
  request.auth = { kind: 'account', ...claims };
}

/** The signed-in account of a console route (the auth hook guarantees it). */
export function accountOf(request: FastifyRequest): { accountId: string; tenantId: string } {
  if (request.auth?.kind !== 'account') throw unauthorized();
  return request.auth;
}
