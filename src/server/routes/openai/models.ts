import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { embeddingsDocument } from '../../../apps/openai/index.js';
import type { AppContext } from '../../context.js';
import { HttpError } from '../../http-error.js';
import { embeddingModelOf, listModels } from '../../services/openai-door.js';
import { callingApp } from '../service-api/generation.js';
import { parse } from '../validate.js';
import { doorCall } from './render.js';
import { EmbeddingBody } from './schemas.js';

const ModelParams = z.object({ model: z.string().min(1).max(255) });

/** `GET /v1/models`, `GET /v1/models/<id>` and `POST /v1/embeddings`. */
export async function modelRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = { pool: ctx.pool, runtime: ctx.modelRuntime };

  app.get('/models', async (request) => listModels(deps, callingApp(request)));

  app.get('/models/:model', async (request) => {
    const { model } = parse(ModelParams, request.params);
    const list = (await listModels(deps, callingApp(request))).data as Array<{ id: string }>;
    const found = list.find((m) => m.id === model);
    if (!found)
      throw new HttpError(
        404,
        'model_not_found',
        `The model \`${model}\` does not exist or you do not have access to it.`,
      );
    return found;
  });

  app.post('/embeddings', async (request) => {
    const target = callingApp(request);
    const body = parse(EmbeddingBody, request.body);
    const model = await embeddingModelOf(deps, target, body.model);
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    const result = await doorCall(() =>
      ctx.modelRuntime.embed({ tenantId: target.tenantId, provider: model.provider, model: model.model, texts }),
    );
    return embeddingsDocument({
      model: body.model,
      embeddings: result.embeddings,
      tokens: result.usage.tokens,
      format: body.encoding_format ?? 'float',
    });
  });
}
