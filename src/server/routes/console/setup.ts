import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { setupFirstAdmin, setupStatus } from '../../services/accounts.js';
import { parse } from '../validate.js';

const SetupBody = z.object({
  email: z.string().trim().email().max(255),
  name: z.string().trim().min(1).max(255),
  password: z.string().min(8, { message: 'must be at least 8 characters' }).max(256),
});

/** GET/POST /setup: the first admin, once (Dify's setup step). Public until done; then refused. */
export async function setupRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/setup', { config: { auth: 'none' } }, async () => setupStatus(ctx.pool));
  app.post('/setup', { config: { auth: 'none' } }, async (request, reply) => {
    const body = parse(SetupBody, request.body);
    await setupFirstAdmin(ctx.pool, { ...body, version: ctx.version });
    reply.code(201);
    return { result: 'success' };
  });
}
