import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { accountRoutes } from './account.js';
import { apiKeyRoutes } from './api-keys.js';
import { appImportRoutes } from './app-imports.js';
import { appLogRoutes } from './app-logs.js';
import { appRoutes } from './apps.js';
import { authRoutes } from './auth.js';
import { datasetKeyRoutes } from './dataset-keys.js';
import { datasetDocumentRoutes } from './dataset-documents.js';
import { datasetConsoleRoutes } from './datasets.js';
import { modelProviderRoutes } from './model-providers.js';
import { modelRoutes } from './models.js';
import { modelConfigRoutes } from './model-config.js';
import { setupRoutes } from './setup.js';

/** The console API, mounted at /console/api. */
export async function consoleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // Any write by an account (an app created, imported, configured, deleted…) drops its workspace's
  // cached app list pages in this process before the answer leaves: its own next list shows the change.
  // Other processes hear it from the change feed (migration 0009).
  app.addHook('onSend', (request, _reply, payload, done) => {
    if (request.method !== 'GET' && request.auth?.kind === 'account') ctx.appLists.forget(request.auth.tenantId);
    done(null, payload);
  });
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
    datasetDocumentRoutes,
  ])
    await routes(app, ctx);
}
