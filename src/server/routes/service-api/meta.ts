import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { HttpError } from '../../http-error.js';
import { appOf } from './end-user.js';

/**
 * GET /meta — the icons of the tools an agent app uses (Dify's AppService.get_app_meta). The apps
 * served here call no tools, so the map is empty. POST /workflows/run — Dify's answer for an app
 * that is not a workflow (dify-client's CompletionClient.runWorkflow); workflows are not run here.
 */
export async function metaRoutes(app: FastifyInstance, _ctx: AppContext): Promise<void> {
  app.get('/meta', async (request) => {
    appOf(request);
    return { tool_icons: {} };
  });
  app.post('/workflows/run', async (request) => {
    const { appMode } = appOf(request);
    if (appMode !== 'workflow')
      throw new HttpError(400, 'not_workflow_app', 'Please check if your app mode matches the right API route.');
    throw new HttpError(400, 'app_unavailable', 'App unavailable, please check your app configurations.');
  });
}
