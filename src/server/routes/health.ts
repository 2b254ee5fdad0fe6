import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/** GET /health (SPEC §5): public, deep, cached ≤ 1 s; 503 while the database is unreachable. */
export async function healthRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/health', { config: { auth: 'none' } }, async (_request, reply) => {
    const report = await ctx.health();
    reply.code(report.status === 'healthy' ? 200 : 503);
    return { status: report.status, pid: process.pid, version: ctx.version, db: report.db, redis: report.redis };
  });
}
