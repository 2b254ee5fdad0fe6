import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { limitByAddress } from '../../hooks/rate-limit.js';
import { HttpError, unauthorized } from '../../http-error.js';
import { authenticate } from '../../services/accounts.js';
import { parse } from '../validate.js';

const LoginBody = z.object({
  email: z.string().trim().min(1).max(255),
  password: z.string().min(1).max(256),
  remember_me: z.boolean().optional(),
});
const RefreshBody = z.object({ refresh_token: z.string().min(1).max(512) });
const LogoutBody = z.object({ refresh_token: z.string().min(1).max(512).optional() });

/** POST /login, /refresh-token, /logout. Login is rate limited per client address. */
export async function authRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post('/login', { config: { auth: 'none' }, preHandler: limitByAddress(ctx.loginLimiter) }, async (request) => {
    const body = parse(LoginBody, request.body);
    const account = await authenticate(ctx.pool, { email: body.email, password: body.password, ip: request.ip });
    if (!account) throw new HttpError(401, 'email_or_password_mismatch', 'The email or password is incorrect.');
    const tokens = await ctx.tokens.issue({ accountId: account.id, tenantId: account.tenantId });
    return { result: 'success', data: tokens };
  });

  app.post('/refresh-token', { config: { auth: 'none' } }, async (request) => {
    const body = parse(RefreshBody, request.body);
    const tokens = await ctx.tokens.rotate(body.refresh_token);
    if (!tokens) throw unauthorized('Invalid or expired refresh token.');
    return { result: 'success', data: tokens };
  });

  app.post('/logout', async (request) => {
    const body = parse(LogoutBody, request.body);
    if (body.refresh_token) await ctx.tokens.revoke(body.refresh_token);
    return { result: 'success' };
  });
}
