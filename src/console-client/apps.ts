/**
 * Apps of the workspace: list, create (with the workspace's default model, so it answers at once),
 * remove, and find one by id or unique name.
 */
import { DifyctlError, usageError } from '../errors/index.js';
import type { ConsoleClient } from './http.js';
import { defaultModel, modelMode } from './providers.js';
import { appAmbiguous, appNotFound } from './errors.js';

export interface AppSummary {
  id: string;
  name: string;
  mode: string;
  description: string;
  created_at: number;
}

export const CREATABLE_MODES = ['chat', 'completion', 'agent-chat', 'advanced-chat', 'workflow'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function listApps(client: ConsoleClient, input: { name?: string } = {}): Promise<AppSummary[]> {
  const apps: AppSummary[] = [];
  for (let page = 1; ; page += 1) {
    const query = new URLSearchParams({
      page: String(page),
      limit: '100',
      ...(input.name ? { name: input.name } : {}),
    });
    const answer = await client.call<{ data: AppSummary[]; has_more: boolean }>('GET', `/apps?${query}`);
    apps.push(...answer.data);
    if (!answer.has_more) return apps;
  }
}

/** An app by id, or by exact name when exactly one app has it. */
export async function resolveApp(client: ConsoleClient, ref: string): Promise<AppSummary> {
  if (UUID.test(ref)) {
    try {
      return await client.call<AppSummary>('GET', `/apps/${ref.toLowerCase()}`);
    } catch (error) {
      if (!(error instanceof DifyctlError && error.details?.status === 404)) throw error;
    }
  }
  const matches = (await listApps(client, { name: ref })).filter((a) => a.name === ref);
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length > 1) {
    throw appAmbiguous(`${matches.length} apps are named "${ref}": ${matches.map((a) => a.id).join(', ')}`, {
      hint: 'Name the app by its id.',
    });
  }
  throw appNotFound(`no app has the id or name "${ref}"`, {
    hint: '`difyctl apps list` shows the apps of the workspace.',
  });
}

export interface CreateAppInput {
  name: string;
  mode?: (typeof CREATABLE_MODES)[number];
  description?: string;
  /** `provider/model`; @default the workspace's default LLM */
  model?: string;
  /** The app's instructions (Dify's pre_prompt). */
  prePrompt?: string;
}

export interface CreatedApp extends AppSummary {
  /** The model its config uses, or undefined when the workspace has none yet. */
  model?: { provider: string; name: string; mode: string };
}

/** POST /apps, then its model config (chat and completion apps) with the chosen or default model. */
export async function createApp(client: ConsoleClient, input: CreateAppInput): Promise<CreatedApp> {
  const mode = input.mode ?? 'chat';
  let model: { provider: string; model: string } | null = null;
  if (input.model) {
    const cut = input.model.indexOf('/');
    if (cut <= 0)
      throw usageError(`--model "${input.model}": expected PROVIDER/MODEL, e.g. openai_api_compatible/llama3`);
    model = { provider: input.model.slice(0, cut), model: input.model.slice(cut + 1) };
  } else if (mode === 'chat' || mode === 'completion') {
    model = await defaultModel(client, 'llm');
  }
  const app = await client.call<AppSummary>('POST', '/apps', {
    name: input.name,
    mode,
    ...(input.description ? { description: input.description } : {}),
  });
  if (!model || (mode !== 'chat' && mode !== 'completion')) return app;
  const config = {
    provider: model.provider,
    name: model.model,
    mode: await modelMode(client, model.provider, model.model),
    completion_params: {},
  };
  await client.call('POST', `/apps/${app.id}/model-config`, { model: config, ...promptOf(mode, input.prePrompt) });
  return { ...app, model: config };
}

/**
 * A chat app's instructions as given. A completion app has no query of its own: it gets a `query`
 * paragraph in its form and `{{query}}` in its prompt (what `difyctl chat` fills).
 */
function promptOf(mode: 'chat' | 'completion', prePrompt = ''): Record<string, unknown> {
  if (mode === 'chat') return { pre_prompt: prePrompt };
  return {
    pre_prompt: prePrompt.includes('{{query}}') ? prePrompt : [prePrompt, '{{query}}'].filter(Boolean).join('\n\n'),
    user_input_form: [{ paragraph: { label: 'Query', variable: 'query', required: true, max_length: 4000 } }],
  };
}

export async function removeApp(client: ConsoleClient, ref: string): Promise<AppSummary> {
  const app = await resolveApp(client, ref);
  await client.call('DELETE', `/apps/${app.id}`);
  return app;
}
