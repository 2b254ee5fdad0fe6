/**
 * App API keys: created (the full key is shown once, and kept in `.difyctl/console.json` for
 * `difyctl chat`), listed masked, removed.
 */
import { usageError } from '../errors/index.js';
import { resolveApp, type AppSummary } from './apps.js';
import type { ConsoleClient } from './http.js';
import { readSession, updateSession } from './session-store.js';

export interface ApiKey {
  id: string;
  type: string;
  /** The full key on creation; its first characters and `…` in lists. */
  token: string;
  last_used_at: number | null;
  created_at: number;
}

export async function createApiKey(client: ConsoleClient, appRef: string): Promise<{ app: AppSummary; key: ApiKey }> {
  const app = await resolveApp(client, appRef);
  const key = await client.call<ApiKey>('POST', `/apps/${app.id}/api-keys`);
  await updateSession(client.projectDir, (s) => {
    s.app_keys = { ...s.app_keys, [app.id]: { id: key.id, token: key.token } };
  });
  return { app, key };
}

export async function listApiKeys(client: ConsoleClient, appRef: string): Promise<{ app: AppSummary; keys: ApiKey[] }> {
  const app = await resolveApp(client, appRef);
  return { app, keys: (await client.call<{ data: ApiKey[] }>('GET', `/apps/${app.id}/api-keys`)).data };
}

export async function removeApiKey(
  client: ConsoleClient,
  appRef: string,
  keyId: string,
): Promise<{ app: AppSummary; removed: string }> {
  const app = await resolveApp(client, appRef);
  const { keys } = await listApiKeys(client, app.id);
  if (!keys.some((k) => k.id === keyId))
    throw usageError(`app "${app.name}" has no API key ${keyId}`, {
      hint: `\`difyctl keys list ${app.id}\` shows its keys.`,
    });
  await client.call('DELETE', `/apps/${app.id}/api-keys/${keyId}`);
  await updateSession(client.projectDir, (s) => {
    if (s.app_keys?.[app.id]?.id === keyId) delete s.app_keys[app.id];
  });
  return { app, removed: keyId };
}

/** The key `difyctl chat` uses: the one stored for the app, else a new one (stored). */
export async function appKey(
  client: ConsoleClient,
  app: AppSummary,
  options: { fresh?: boolean } = {},
): Promise<{ token: string; created: boolean }> {
  const stored = (await readSession(client.projectDir)).app_keys?.[app.id];
  if (stored && !options.fresh) return { token: stored.token, created: false };
  return { token: (await createApiKey(client, app.id)).key.token, created: true };
}
