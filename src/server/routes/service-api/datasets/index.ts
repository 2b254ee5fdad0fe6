import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../context.js';
import { byFileRoutes } from './by-file.js';
import { datasetRoutes } from './datasets.js';
import { documentRoutes } from './documents.js';
import { retrieveRoutes } from './retrieve.js';
import { segmentRoutes } from './segments.js';

/**
 * Dify's Knowledge API under `/v1/datasets`: every route takes a knowledge API key
 * (`Authorization: Bearer dataset-…`, workspace-wide), not an app key.
 */
export async function knowledgeApiRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // Forced, not defaulted: the /v1 scope's own onRoute hook defaults every route to `app-key`.
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object | undefined), auth: 'dataset-key' };
  });
  for (const routes of [datasetRoutes, documentRoutes, segmentRoutes, byFileRoutes, retrieveRoutes])
    await routes(app, ctx);
}
