import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { accountRoutes } from './account.js';
import { apiKeyRoutes } from './api-keys.js';
import { appImportRoutes } from './app-imports.js';
import { appLogRoutes } from './app-logs.js';
import { appRoutes } from './apps.js';
import { authRoutes } from './auth.js';
import { datasetKeyRoutes } from './dataset-keys.js';
import { datasetConsoleRoutes } from './datasets.js';
import { modelProviderRoutes } from './model-providers.js';
import { modelRoutes } from './models.js';
import { modelConfigRoutes } from './model-config.js';
import { setupRoutes } from './setup.js';

/** The console API, mounted at /console/api. */
export async function consoleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  for (const routes of [
    setupRoutes,
    authRoutes,
    accountRoutes,
    appRoutes,
    modelConfigRoutes,
    apiKeyRoutes,
    modelProviderRoutes,
    modelRoutes,
    appLogRoutes,
    appImportRoutes,
    datasetKeyRoutes,
    datasetConsoleRoutes,
  ])
    await routes(app, ctx);
}
