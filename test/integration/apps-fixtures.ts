/**
 * Setup shared by the apps tests (model config, chat and completion messages): an admin signed in
 * through the console API, apps created there, app keys, and helpers to read the JSON answers.
 */
import type { DifyApp } from '../../src/server/app.js';
import { ADMIN } from './server-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
export type Json = Record<string, any>;

export const json = (res: { body: string }): Json => JSON.parse(res.body) as Json;

/** Runs setup and login once per database; returns the console Authorization header. */
export async function signIn(app: DifyApp): Promise<{ authorization: string }> {
  await app.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN });
  const login = await app.inject({
    method: 'POST',
    url: '/console/api/login',
    payload: { email: ADMIN.email, password: ADMIN.password },
  });
  const tokens = json(login).data as { access_token: string };
  return { authorization: `Bearer ${tokens.access_token}` };
}

/** Creates an app of a mode through the console API and an app key for it. */
export async function createAppWithKey(
  app: DifyApp,
  auth: { authorization: string },
  mode: 'chat' | 'completion' | 'workflow',
  name = `${mode} app`,
): Promise<{ appId: string; key: string }> {
  const created = await app.inject({
    method: 'POST',
    url: '/console/api/apps',
    headers: auth,
    payload: { name, mode },
  });
  const appId = json(created).id as string;
  const key = await app.inject({ method: 'POST', url: `/console/api/apps/${appId}/api-keys`, headers: auth });
  return { appId, key: json(key).token as string };
}

/** A minimal valid model config for the stand-in's provider. */
export function modelConfig(overrides: Json = {}): Json {
  return {
    model: {
      provider: 'openai_api_compatible',
      name: 'stand-in-model',
      mode: 'chat',
      completion_params: { temperature: 0.2, max_tokens: 256 },
    },
    pre_prompt: 'You are a helpful assistant.',
    user_input_form: [],
    ...overrides,
  };
}
