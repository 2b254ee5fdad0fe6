import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { updateModelConfig } from '../../../apps/model-config/index.js';
import type { AppContext } from '../../context.js';
import { accountOf } from '../../hooks/auth.js';
import { appCall } from '../app-errors.js';
import { parse, uuidParam } from '../validate.js';

const AppParams = z.object({ appId: uuidParam });

/**
 * `POST /console/api/apps/<id>/model-config`: the whole easy-UI config (model, pre_prompt,
 * user_input_form, features…), validated with Dify's rules; each save is a new config row and the
 * app points at it. `GET /console/api/apps/<id>` shows it as `model_config`.
 */
export async function modelConfigRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post('/apps/:appId/model-config', async (request) => {
    const { appId } = parse(AppParams, request.params);
    const who = accountOf(request);
    await appCall(() =>
      updateModelConfig(ctx.pool, { tenantId: who.tenantId, appId, accountId: who.accountId, body: request.body }),
    );
    return { result: 'success' };
  });
}
