import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { healthBody, healthStatus } from '../health-check.js';

/**
 * GET /health (SPEC §5): public, deep, cached ≤ 1 s; 503 while the database is unreachable. The api
 * server usually answers it before routing (health-first.ts); this route serves HEAD, a query
 * string, a closing app, and servers with hooks that see every request.
 */
export async function healthRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/health', { config: { auth: 'none' } }, async (_request, reply) => {
    const report = await ctx.health();
    reply.code(healthStatus(report));
    return healthBody(report, ctx.version);
  });
}
