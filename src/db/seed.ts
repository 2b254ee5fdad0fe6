/**
 * Idempotent seed data, run after the schema reaches head: default roles and permissions, system
 * settings, built-in prompt templates. Every statement is `INSERT … ON CONFLICT DO NOTHING`, so a
 * rerun adds what is missing and never overwrites what an operator changed.
 */

/** A SQL string literal (standard_conforming_strings is on by default since PostgreSQL 9.1). */
export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const json = (value: unknown): string => `${sqlLiteral(JSON.stringify(value))}::jsonb`;

export const PERMISSIONS: Record<string, string> = {
  'workspace.manage': 'Rename the workspace and change its settings',
  'member.invite': 'Invite members to the workspace',
  'member.manage': 'Change roles of members and remove them',
  'app.create': 'Create apps',
  'app.read': 'See apps and their logs',
  'app.update': 'Edit apps and their model configuration',
  'app.delete': 'Delete apps',
  'app.api_key.manage': 'Create and revoke app API keys',
  'dataset.create': 'Create knowledge datasets',
  'dataset.read': 'See datasets and their documents',
  'dataset.update': 'Add, edit and remove documents and segments',
  'dataset.delete': 'Delete datasets',
};

const ALL = Object.keys(PERMISSIONS);
const APP = ALL.filter((p) => p.startsWith('app.'));
const DATASET = ALL.filter((p) => p.startsWith('dataset.'));

/** Dify's workspace roles (TenantAccountRole), with what each may do. */
export const ROLES: Record<string, { description: string; permissions: string[] }> = {
  owner: { description: 'Owns the workspace: everything', permissions: ALL },
  admin: {
    description: 'Manages members, apps and datasets',
    permissions: ALL.filter((p) => p !== 'workspace.manage'),
  },
  editor: { description: 'Builds apps and datasets', permissions: [...APP, ...DATASET] },
  normal: { description: 'Uses apps', permissions: ['app.read', 'dataset.read'] },
  dataset_operator: { description: 'Manages datasets only', permissions: DATASET },
};

export const SYSTEM_SETTINGS: Record<string, { value: unknown; description: string }> = {
  'upload.file_size_limit_mb': { value: 15, description: 'Largest uploaded document (UPLOAD_FILE_SIZE_LIMIT)' },
  'upload.image_file_size_limit_mb': {
    value: 10,
    description: 'Largest uploaded image (UPLOAD_IMAGE_FILE_SIZE_LIMIT)',
  },
  'upload.batch_limit': { value: 5, description: 'Files per upload request (UPLOAD_FILE_BATCH_LIMIT)' },
  'auth.access_token_expire_minutes': {
    value: 60,
    description: 'Console access token lifetime (ACCESS_TOKEN_EXPIRE_MINUTES)',
  },
  'auth.refresh_token_expire_days': {
    value: 30,
    description: 'Console refresh token lifetime (REFRESH_TOKEN_EXPIRE_DAYS)',
  },
  'app.max_active_requests': {
    value: 0,
    description: 'Concurrent requests per app; 0 = unlimited (APP_MAX_ACTIVE_REQUESTS)',
  },
  'app.default_api_rpm': { value: 0, description: 'Default service API requests per minute per key; 0 = unlimited' },
};

const CONTEXT =
  'Use the following context as your learned knowledge, inside <context></context> XML tags.\n\n<context>\n{{#context#}}\n</context>\n\n' +
  "When answer to user:\n- If you don't know, just say that you don't know.\n- If you don't know when you are not sure, ask for clarification.\n" +
  "Avoid mentioning that you obtained the information from the context.\nAnd answer according to the language of the user's question.\n";

/** Dify's built-in prompt templates (core/prompt/prompt_templates/advanced_prompt_templates.py). */
export const PROMPT_TEMPLATES: {
  name: string;
  appMode: string;
  modelMode: string;
  prompt: unknown;
  stop: string[];
  description: string;
}[] = [
  {
    name: 'chat_app.completion_model',
    appMode: 'chat',
    modelMode: 'completion',
    stop: ['Human:'],
    description: 'Chat app on a completion model: history and query in one prompt',
    prompt: {
      text: '{{#pre_prompt#}}\nHere are the chat histories between human and assistant, inside <histories></histories> XML tags.\n\n<histories>\n{{#histories#}}\n</histories>\n\n\nHuman: {{#query#}}\n\nAssistant: ',
      conversation_histories_role: { user_prefix: 'Human', assistant_prefix: 'Assistant' },
    },
  },
  {
    name: 'chat_app.chat_model',
    appMode: 'chat',
    modelMode: 'chat',
    stop: [],
    description: 'Chat app on a chat model: the pre-prompt as the system message',
    prompt: { messages: [{ role: 'system', text: '{{#pre_prompt#}}' }] },
  },
  {
    name: 'completion_app.chat_model',
    appMode: 'completion',
    modelMode: 'chat',
    stop: [],
    description: 'Completion app on a chat model: the pre-prompt as the user message',
    prompt: { messages: [{ role: 'user', text: '{{#pre_prompt#}}' }] },
  },
  {
    name: 'completion_app.completion_model',
    appMode: 'completion',
    modelMode: 'completion',
    stop: ['Human:'],
    description: 'Completion app on a completion model',
    prompt: { text: '{{#pre_prompt#}}' },
  },
  {
    name: 'context',
    appMode: 'chat',
    modelMode: 'chat',
    stop: [],
    description: 'Knowledge context block prepended when a dataset is attached',
    prompt: { text: CONTEXT },
  },
];

/** The seed as one SQL script (printed by `--dry-run`, run in one transaction by the migrator). */
export function seedSql(): string {
  const permissions = Object.entries(PERMISSIONS).map(([name, d]) => `(${sqlLiteral(name)}, ${sqlLiteral(d)})`);
  const roles = Object.entries(ROLES).map(([name, r]) => `(${sqlLiteral(name)}, ${sqlLiteral(r.description)}, true)`);
  const grants = Object.entries(ROLES).flatMap(([role, r]) =>
    r.permissions.map((p) => `(${sqlLiteral(role)}, ${sqlLiteral(p)})`),
  );
  const settings = Object.entries(SYSTEM_SETTINGS).map(
    ([key, s]) => `(${sqlLiteral(key)}, ${json(s.value)}, ${sqlLiteral(s.description)})`,
  );
  const templates = PROMPT_TEMPLATES.map(
    (t) =>
      `(${[t.name, t.appMode, t.modelMode].map(sqlLiteral).join(', ')}, ${json(t.prompt)}, ${json(t.stop)}, ${sqlLiteral(t.description)}, true)`,
  );
  return [
    `INSERT INTO permissions (name, description) VALUES\n  ${permissions.join(',\n  ')}\nON CONFLICT (name) DO NOTHING;`,
    `INSERT INTO roles (name, description, is_builtin) VALUES\n  ${roles.join(',\n  ')}\nON CONFLICT (name) DO NOTHING;`,
    `INSERT INTO role_permissions (role_id, permission_id)\nSELECT r.id, p.id FROM (VALUES\n  ${grants.join(',\n  ')}\n) AS g (role, permission)\n` +
      `JOIN roles r ON r.name = g.role JOIN permissions p ON p.name = g.permission\nON CONFLICT DO NOTHING;`,
    `INSERT INTO system_settings (key, value, description) VALUES\n  ${settings.join(',\n  ')}\nON CONFLICT (key) DO NOTHING;`,
    `INSERT INTO prompt_templates (name, app_mode, model_mode, prompt, stop, description, is_builtin) VALUES\n  ${templates.join(',\n  ')}\nON CONFLICT (name) DO NOTHING;`,
  ].join('\n\n');
}
