/**
 * Dify's app DSL through the console API, in Dify's shapes: `POST /apps/imports` with
 * `{mode: "yaml-content", yaml_content}` (answer `{id, status, app_id, error…}`; a `pending` import,
 * a DSL of another version, is confirmed with `POST /apps/imports/<id>/confirm`), and
 * `GET /apps/<id>/export` (answer `{data: "<yaml>"}`).
 */
import { resolveApp } from './apps.js';
import type { ConsoleClient } from './http.js';
import { consoleRefused } from './errors.js';

export interface ImportResult {
  id: string;
  status: 'completed' | 'completed-with-warnings' | 'pending' | 'failed';
  app_id: string | null;
  app_mode?: string | null;
  current_dsl_version?: string;
  imported_dsl_version?: string;
  error?: string;
  /** Anything else the server adds (warnings, the unknown providers' credentials to add). */
  [key: string]: unknown;
}

export async function importApp(client: ConsoleClient, input: { yaml: string; name?: string }): Promise<ImportResult> {
  let result = await client.call<ImportResult>('POST', '/apps/imports', {
    mode: 'yaml-content',
    yaml_content: input.yaml,
    ...(input.name ? { name: input.name } : {}),
  });
  if (result.status === 'pending')
    result = await client.call<ImportResult>('POST', `/apps/imports/${result.id}/confirm`, {});
  if (result.status === 'failed' || !result.app_id) {
    throw consoleRefused(`the server did not import the DSL: ${result.error || result.status}`, {
      details: { status: result.status, error: result.error },
    });
  }
  return result;
}

export async function exportApp(
  client: ConsoleClient,
  ref: string,
): Promise<{ app: { id: string; name: string }; yaml: string }> {
  const app = await resolveApp(client, ref);
  const { data } = await client.call<{ data: string }>('GET', `/apps/${app.id}/export`);
  return { app: { id: app.id, name: app.name }, yaml: data };
}
