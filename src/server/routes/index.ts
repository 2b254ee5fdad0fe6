import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { consoleRoutes } from './console/index.js';
import { fileRoutes } from './files.js';
import { healthRoutes } from './health.js';
import { serviceApiRoutes, type ServiceRoutes } from './service-api/index.js';

/** Every route: health at the root, the console API, the service API. */
export async function registerRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  options: { serviceRoutes?: ServiceRoutes[] } = {},
): Promise<void> {
  await app.register(async (scope) => healthRoutes(scope, ctx));
  await app.register(async (scope) => fileRoutes(scope, ctx));
  await app.register(async (scope) => consoleRoutes(scope, ctx), { prefix: '/console/api' });
  await app.register(async (scope) => serviceApiRoutes(scope, { ...ctx, extraRoutes: options.serviceRoutes }), {
    prefix: '/v1',
  });
}
