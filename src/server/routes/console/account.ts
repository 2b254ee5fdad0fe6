import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { accountOf } from '../../hooks/auth.js';
import { unauthorized } from '../../http-error.js';
import { profile } from '../../services/accounts.js';

/** GET /account/profile (model providers: model-providers.ts). */
export async function accountRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/account/profile', async (request) => {
    const result = await profile(ctx.pool, accountOf(request).accountId);
    if (!result) throw unauthorized('The account no longer exists.');
    return result;
  });
}
