/**
 * Model providers of the current workspace (Dify's console/workspace/model_providers.py): the
 * catalog, provider credentials (1.x named credentials; 0.15's single-credential POST/DELETE forms
 * too) and their validation by a real request. Validate → model runtime → render.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ModelConfigError, ModelRuntimeError, type ModelType } from '../../../model-runtime/index.js';
import type { AppContext } from '../../context.js';
import { accountOf } from '../../hooks/auth.js';
import { HttpError } from '../../http-error.js';
import { parse, uuidParam } from '../validate.js';

/** Dify's ModelType values, and the stored ("origin") names ModelType.value_of also accepts. */
const MODEL_TYPES = [
  'llm',
  'text-embedding',
  'rerank',
  'speech2text',
  'moderation',
  'tts',
  'text-generation',
  'embeddings',
  'reranking',
] as const;
export const modelTypeParam = z.enum(MODEL_TYPES, { message: `must be one of ${MODEL_TYPES.slice(0, 6).join(', ')}` });

/** The runtime's model type, or undefined for types it has no models of (rerank, tts…). */
export function runtimeModelType(type: (typeof MODEL_TYPES)[number]): ModelType | undefined {
  if (type === 'llm' || type === 'text-generation') return 'llm';
  if (type === 'text-embedding' || type === 'embeddings') return 'text-embedding';
  return undefined;
}

/** A model type the runtime must know for this request; others are a 400 naming the field. */
export function requiredModelType(type: (typeof MODEL_TYPES)[number]): ModelType {
  const known = runtimeModelType(type);
  if (!known) throw new HttpError(400, 'invalid_param', `model_type: no provider here has ${type} models`);
  return known;
}

/** The runtime's refusals as Dify's JSON errors. */
export async function runtime<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ModelConfigError || error instanceof ModelRuntimeError)
      throw new HttpError(error.status, error.code, error.message);
    throw error;
  }
}

const ProviderParams = z.object({ provider: z.string().min(1).max(255) });
const credentialsObject = z.record(z.string(), z.unknown());
const name = z.string().max(30).optional().nullable();
const ListQuery = z.object({ model_type: modelTypeParam.optional() });
const GetQuery = z.object({ credential_id: uuidParam.optional() });
const CreateBody = z.object({ credentials: credentialsObject, name });
const UpdateBody = z.object({ credential_id: uuidParam, credentials: credentialsObject, name });
const DeleteBody = z.object({ credential_id: uuidParam.optional() });
const SwitchBody = z.object({ credential_id: uuidParam });
const ValidateBody = z.object({ credentials: credentialsObject });

export async function modelProviderRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const service = ctx.modelRuntime.console;
  const base = '/workspaces/current/model-providers';

  app.get(base, async (request) => {
    const { model_type } = parse(ListQuery, request.query);
    const type = model_type && runtimeModelType(model_type);
    if (model_type && !type) return { data: [] };
    return { data: await service.listProviders(accountOf(request).tenantId, type) };
  });

  app.get(`${base}/:provider/credentials`, async (request) => {
    const { provider } = parse(ProviderParams, request.params);
    const { credential_id } = parse(GetQuery, request.query);
    return {
      credentials: await runtime(() =>
        service.providerCredentials(accountOf(request).tenantId, provider, credential_id),
      ),
    };
  });

  // 0.15 saved the one credential here; 1.x adds a named one. Either way it becomes the active one.
  app.post(`${base}/:provider/credentials`, async (request, reply) => {
    const { provider } = parse(ProviderParams, request.params);
    const body = parse(CreateBody, request.body);
    await runtime(() =>
      service.createProviderCredential(accountOf(request).tenantId, provider, {
        credentials: body.credentials,
        name: body.name ?? undefined,
      }),
    );
    reply.code(201);
    return { result: 'success' };
  });

  app.put(`${base}/:provider/credentials`, async (request) => {
    const { provider } = parse(ProviderParams, request.params);
    const body = parse(UpdateBody, request.body);
    await runtime(() =>
      service.updateProviderCredential(accountOf(request).tenantId, provider, {
        credentialId: body.credential_id,
        credentials: body.credentials,
        name: body.name ?? undefined,
      }),
    );
    return { result: 'success' };
  });

  // 1.x names the credential to delete; 0.15 sent no body and removed the provider's credentials.
  app.delete(`${base}/:provider/credentials`, async (request, reply) => {
    const { provider } = parse(ProviderParams, request.params);
    const { credential_id } = parse(DeleteBody, request.body);
    await runtime(() => service.deleteProviderCredential(accountOf(request).tenantId, provider, credential_id));
    reply.code(204);
  });

  app.post(`${base}/:provider/credentials/switch`, async (request) => {
    const { provider } = parse(ProviderParams, request.params);
    const { credential_id } = parse(SwitchBody, request.body);
    await runtime(() => service.switchProviderCredential(accountOf(request).tenantId, provider, credential_id));
    return { result: 'success' };
  });

  app.post(`${base}/:provider/credentials/validate`, async (request) => {
    const { provider } = parse(ProviderParams, request.params);
    const { credentials } = parse(ValidateBody, request.body);
    return runtime(() => service.validateProviderCredentials(accountOf(request).tenantId, provider, credentials));
  });
}
