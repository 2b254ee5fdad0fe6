/**
 * A Dify app DSL file (`kind: app`, `version`, `app: {...}`, `model_config` or `workflow`), parsed and
 * checked as Dify's AppDslService.import_app does before it creates anything: a mapping, a string
 * `version` (0.1.0 when absent), an `app` section with a `mode`. What this server cannot run yet
 * (workflow, advanced-chat, agent-chat, chat with agent tools) is refused with a clear message.
 */
import { isMap, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { parseVersion } from './version.js';

/** App modes imported and exported here: the easy-UI model config apps without agent tools. */
export const DSL_MODES = ['chat', 'completion'] as const;
export type DslMode = (typeof DSL_MODES)[number];

const ALL_MODES = ['chat', 'completion', 'agent-chat', 'advanced-chat', 'workflow'] as const;

const AppSection = z.looseObject({
  mode: z.string({ message: 'app.mode is missing (loss app mode)' }),
  name: z.string().nullish(),
  description: z.string().nullish(),
  icon: z.union([z.string(), z.number()]).nullish(),
  icon_type: z.string().nullish(),
  icon_background: z.string().nullish(),
  use_icon_as_answer_icon: z.boolean().nullish(),
});
export type DslApp = z.output<typeof AppSection>;

/** A DSL file that can be imported: its app section and the raw model config. */
export interface DslDocument {
  version: string;
  app: DslApp & { mode: DslMode };
  /** Exactly as in the file; validated against Dify's model config rules when imported. */
  modelConfig: Record<string, unknown>;
  /** `app.icon_background` was present in the file (null included), as Dify tells `get(key, default)` apart. */
  hasIconBackground: boolean;
}

/** Why a DSL file cannot be imported: Dify's `Import.error` text. */
export class DslError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DslError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses YAML text into a mapping; YAML errors name the line and column. @throws DslError */
export function parseYamlMapping(text: string): Record<string, unknown> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const at = first.pos[0] !== undefined ? lineCounter.linePos(first.pos[0]) : undefined;
    throw new DslError(
      `Invalid YAML format: ${at ? `line ${at.line}, column ${at.col}: ` : ''}${first.message.split('\n')[0]}`,
    );
  }
  if (!isMap(doc.contents)) throw new DslError('Invalid YAML format: content must be a mapping');
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isRecord(data)) throw new DslError('Invalid YAML format: content must be a mapping');
  return data;
}

/** The file's `version`, as Dify reads it: 0.1.0 when absent; a number (`version: 0.1`) is refused. */
export function dslVersionOf(data: Record<string, unknown>): string {
  const version = data.version ?? '0.1.0';
  if (version === '' || version === null) return '0.1.0';
  if (typeof version !== 'string')
    throw new DslError(
      `Invalid version type, expected str, got ${typeof version} (${String(version)}): quote it, e.g. version: '0.1.5'`,
    );
  if (!parseVersion(version)) throw new DslError(`Invalid version: ${version} (expected e.g. 0.1.5)`);
  return version;
}

const unsupported = (mode: string): DslError =>
  new DslError(
    mode === 'agent-chat'
      ? 'Importing agent-chat apps is not supported yet: this server runs chat and completion apps without agent tools.'
      : `Importing ${mode} apps (a workflow: graph) is not supported yet: this server runs chat and completion apps.`,
  );

/**
 * Checks the app section and mode of a parsed DSL mapping.
 * @throws DslError naming the missing or unsupported part
 */
export function readDslDocument(data: Record<string, unknown>): DslDocument {
  const version = dslVersionOf(data);
  if (!isRecord(data.app)) throw new DslError('Missing app data in YAML content');
  const parsed = AppSection.safeParse(data.app);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = ['app', ...issue.path.map(String)].join('.');
    throw new DslError(issue.message.startsWith('app.') ? issue.message : `${field}: ${issue.message}`);
  }
  const app = parsed.data;
  if (!(ALL_MODES as readonly string[]).includes(app.mode))
    throw new DslError(`Invalid app mode: ${app.mode} (one of ${ALL_MODES.join(', ')})`);
  if (!(DSL_MODES as readonly string[]).includes(app.mode)) throw unsupported(app.mode);
  if (!isRecord(data.model_config)) throw new DslError('Missing model_config for chat/agent-chat/completion app');
  const agent = data.model_config.agent_mode;
  if (isRecord(agent) && agent.enabled === true && Array.isArray(agent.tools) && agent.tools.length > 0) {
    throw new DslError(
      `Importing a ${app.mode} app with agent tools (model_config.agent_mode.tools: ${agent.tools.length}) is not supported yet: remove the tools or disable agent_mode.`,
    );
  }
  // The mode was checked against DSL_MODES just above.
  return {
    version,
    app: app as DslApp & { mode: DslMode },
    modelConfig: data.model_config,
    hasIconBackground: 'icon_background' in data.app,
  };
}
