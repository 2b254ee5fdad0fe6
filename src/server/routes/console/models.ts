/**
 * Models of the current workspace (Dify's console/workspace/models.py): a provider's models,
 * custom models and their credentials (0.15's POST models with credentials, 1.x's
 * models/credentials), models by type, and the default model per type.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { accountOf } from '../../hooks/auth.js';
import { badRequest } from '../../http-error.js';
import { parse, uuidParam } from '../validate.js';
import { modelTypeParam, requiredModelType, runtime, runtimeModelType } from './model-providers.js';

const ProviderParams = z.object({ provider: z.string().min(1).max(255) });
const model = z.string().trim().min(1).max(255);
const credentialsObject = z.record(z.string(), z.unknown());
const name = z.string().max(30).optional().nullable();
const ModelRef = { model, model_type: modelTypeParam };
const SaveBody = z.object({
  ...ModelRef,
  credentials: credentialsObject.optional().nullable(),
  config_from: z.string().max(64).optional().nullable(),
  credential_id: uuidParam.optional().nullable(),
  load_balancing: z
    .object({ enabled: z.boolean().optional().nullable(), configs: z.array(z.unknown()).optional().nullable() })
    .optional()
    .nullable(),
});
const DeleteBody = z.object(ModelRef);
const CredentialQuery = z.object({
  ...ModelRef,
  credential_id: uuidParam.optional(),
  config_from: z.string().max(64).optional(),
});
const CreateCredentialBody = z.object({ ...ModelRef, credentials: credentialsObject, name });
const UpdateCredentialBody = z.object({ ...ModelRef, credential_id: uuidParam, credentials: credentialsObject, name });
const CredentialIdBody = z.object({ ...ModelRef, credential_id: uuidParam });
const ValidateBody = z.object({ ...ModelRef, credentials: credentialsObject });
const TypeParams = z.object({ model_type: modelTypeParam });
const DefaultQuery = z.object({ model_type: modelTypeParam });
const DefaultBody = z.object({
  model_settings: z.array(
    z.object({
      model_type: modelTypeParam,
      model: z.string().max(255),
      provider: z.string().max(255).optional().nullable(),
    }),
  ),
});

export async function modelRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const service = ctx.modelRuntime.console;
  const base = '/workspaces/current/model-providers/:provider/models';
  const tenant = (request: Parameters<typeof accountOf>[0]): string => accountOf(request).tenantId;

  app.get(base, async (request) => {
    const { provider } = parse(ProviderParams, request.params);
    return { data: await runtime(() => service.providerModels(tenant(request), provider)) };
  });

  // 0.15: { model, model_type, credentials } saves a custom model. 1.x: config_from + credential_id
  // picks the model's credential (load balancing is not supported: nothing to save).
  app.post(base, async (request) => {
    const { provider } = parse(ProviderParams, request.params);
    const body = parse(SaveBody, request.body);
    const type = requiredModelType(body.model_type);
    if (body.credentials)
      await runtime(() =>
        service.createModelCredential(tenant(request), provider, {
          model: body.model,
          type,
          credentials: body.credentials as Record<string, unknown>,
        }),
      );
    else if (body.credential_id)
      await runtime(() =>
        service.switchModelCredential(tenant(request), provider, {
          model: body.model,
          type,
          credentialId: body.credential_id as string,
        }),
      );
    else if (body.config_from === 'custom-model')
      throw badRequest('credential_id: required when configuring a custom-model');
    return { result: 'success' };
  });

  app.delete(base, async (request, reply) => {
    const { provider } = parse(ProviderParams, request.params);
    const body = parse(DeleteBody, request.body);
    await runtime(() =>
      service.deleteCustomModel(tenant(request), provider, {
        model: body.model,
        type: requiredModelType(body.model_type),
      }),
    );
    reply.code(204);
  });

  app.get(`${base}/credentials`, async (request) => {
    const { provider } = parse(ProviderParams, request.params);
    const q = parse(CredentialQuery, request.query);
    return runtime(() =>
      service.modelCredentials(tenant(request), provider, {
        model: q.model,
        type: requiredModelType(q.model_type),
        credentialId: q.credential_id,
      }),
    );
  });

  app.post(`${base}/credentials`, async (request, reply) => {
    const { provider } = parse(ProviderParams, request.params);
    const body = parse(CreateCredentialBody, request.body);
    await runtime(() =>
      service.createModelCredential(tenant(request), provider, {
        model: body.model,
        type: requiredModelType(body.model_type),
        credentials: body.credentials,
        name: body.name ?? undefined,
      }),
    );
    reply.code(201);
    return { result: 'success' };
  });

  app.put(`${base}/credentials`, async (request) => {
    const { provider } = parse(ProviderParams, request.params);
    const body = parse(UpdateCredentialBody, request.body);
    await runtime(() =>
      service.updateModelCredential(tenant(request), provider, {
        model: body.model,
        type: requiredModelType(body.model_type),
        credentialId: body.credential_id,
        credentials: body.credentials,
        name: body.name ?? undefined,
      }),
    );
    return { result: 'success' };
  });

  app.delete(`${base}/credentials`, async (request, reply) => {
    const { provider } = parse(ProviderParams, request.params);
    const body = parse(CredentialIdBody, request.body);
    await runtime(() =>
      service.deleteModelCredential(tenant(request), provider, {
        model: body.model,
        type: requiredModelType(body.model_type),
        credentialId: body.credential_id,
      }),
    );
    reply.code(204);
  });

  app.post(`${base}/credentials/switch`, async (request) => {
    const { provider } = parse(ProviderParams, request.params);
    const body = parse(CredentialIdBody, request.body);
    await runtime(() =>
      service.switchModelCredential(tenant(request), provider, {
        model: body.model,
        type: requiredModelType(body.model_type),
        credentialId: body.credential_id,
      }),
    );
    return { result: 'success' };
  });

  app.post(`${base}/credentials/validate`, async (request) => {
    const { provider } = parse(ProviderParams, request.params);
    const body = parse(ValidateBody, request.body);
    return runtime(() =>
      service.validateModelCredentials(tenant(request), provider, {
        model: body.model,
        type: requiredModelType(body.model_type),
        credentials: body.credentials,
      }),
    );
  });

  app.get('/workspaces/current/models/model-types/:model_type', async (request) => {
    const type = runtimeModelType(parse(TypeParams, request.params).model_type);
    return { data: type ? await service.modelsOfType(tenant(request), type) : [] };
  });

  app.get('/workspaces/current/default-model', async (request) => {
    const type = runtimeModelType(parse(DefaultQuery, request.query).model_type);
    return { data: type ? await service.defaultModel(tenant(request), type) : null };
  });

  app.post('/workspaces/current/default-model', async (request) => {
    const { model_settings } = parse(DefaultBody, request.body);
    const settings = model_settings
      .filter((s) => s.provider)
      .map((s) => ({ model_type: requiredModelType(s.model_type), provider: s.provider, model: s.model }));
    await runtime(() => service.setDefaultModels(tenant(request), settings));
    return { result: 'success' };
  });
}
