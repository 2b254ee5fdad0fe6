import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  confirmImport,
  DSL_MAX_SIZE,
  exportAppDsl,
  importDsl,
  type ImportDeps,
  type ImportResult,
} from '../../../apps/dsl/index.js';
import type { AppContext } from '../../context.js';
import { accountOf } from '../../hooks/auth.js';
import { appCall } from '../app-errors.js';
import { parse, uuidParam } from '../validate.js';

const ImportBody = z.object({
  mode: z.enum(['yaml-content', 'yaml-url'], { message: 'must be yaml-content or yaml-url' }),
  yaml_content: z.string().nullish(),
  yaml_url: z.string().max(2048).nullish(),
  name: z.string().trim().max(255).nullish(),
  description: z.string().max(4000).nullish(),
  icon_type: z.string().max(32).nullish(),
  icon: z.string().max(255).nullish(),
  icon_background: z.string().max(32).nullish(),
  app_id: uuidParam.nullish(),
});
const ImportParams = z.object({ importId: uuidParam });
const AppParams = z.object({ appId: uuidParam });
const ExportQuery = z.object({
  // flask-restx inputs.boolean: true/false, 1/0 (any case).
  include_secret: z
    .string()
    .regex(/^(true|false|1|0)$/i, 'must be true or false')
    .optional()
    .transform((v) => v?.toLowerCase() === 'true' || v === '1'),
  workflow_id: z.string().optional(),
});

/** A 10 MB file (Dify's DSL_MAX_SIZE) fits once JSON-escaped; the server's 1 MB default would refuse it. */
const IMPORT_BODY_LIMIT = DSL_MAX_SIZE + 2 * 1024 * 1024;

/** Dify's statuses: 200 done (with or without warnings), 202 waiting for a confirmation, 400 failed. */
const statusOf = (result: ImportResult): number =>
  result.status === 'failed' ? 400 : result.status === 'pending' ? 202 : 200;

/**
 * Dify's DSL routes for chat and completion apps: `POST /apps/imports` (`yaml-content`; `yaml-url` is
 * refused, this server does not fetch), `POST /apps/imports/<id>/confirm` (a newer DSL version),
 * `GET /apps/imports/<app_id>/check-dependencies` (no plugins here: none leak), and
 * `GET /apps/<id>/export` → `{data: yaml}`.
 */
export async function appImportRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps: ImportDeps = {
    pool: ctx.pool,
    pending: ctx.store.kv,
    providers: (tenantId) => ctx.modelRuntime.console.listProviders(tenantId, 'llm'),
  };
  app.post('/apps/imports', { bodyLimit: IMPORT_BODY_LIMIT }, async (request, reply) => {
    const body = parse(ImportBody, request.body);
    const result = await appCall(() => importDsl(deps, accountOf(request), body));
    reply.code(statusOf(result));
    return result;
  });
  app.post('/apps/imports/:importId/confirm', async (request, reply) => {
    const { importId } = parse(ImportParams, request.params);
    const result = await appCall(() => confirmImport(deps, accountOf(request), importId));
    reply.code(statusOf(result));
    return result;
  });
  app.get('/apps/imports/:appId/check-dependencies', async (request) => {
    parse(AppParams, request.params);
    return { leaked_dependencies: [] };
  });
  app.get('/apps/:appId/export', async (request) => {
    const { appId } = parse(AppParams, request.params);
    parse(ExportQuery, request.query);
    const who = accountOf(request);
    return { data: await appCall(() => exportAppDsl(ctx.pool, { tenantId: who.tenantId, appId })) };
  });
}
