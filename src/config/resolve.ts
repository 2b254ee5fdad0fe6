import type { ErrorCode, SourceLocation } from '../errors/index.js';
import { clipValue } from '../output/printable.js';
import type { EnvValue } from './compose-model.js';
import { nearMiss } from './near-miss.js';
import { loadProject, type Project, type ProjectOptions } from './project.js';
import { crossFieldIssues, SETTING_KEYS, settingsSchema, type SettingKey, type Settings } from './schema.js';
import { redact } from './secrets.js';
import { formatSource, type SettingSource } from './sources.js';
import { configInvalid, unknownService } from './errors.js';

export interface Diagnostic {
  level: 'error' | 'warning';
  code: ErrorCode | 'CONFIG.NEAR_MISS' | 'CONFIG.SETTING_WARNING';
  key?: string;
  message: string;
  hint?: string;
  location?: SourceLocation;
}

export interface ResolvedValue {
  /** The typed value for known settings, the string for other keys. */
  value: unknown;
  source: SettingSource;
}

export interface ResolvedConfig {
  project: Project;
  /** The compose service the settings come from; undefined when they come from .env alone. */
  service?: string;
  /** Every key of the service environment (or .env), as strings, with sources. */
  raw: Map<string, EnvValue>;
  /** Known settings typed with defaults, then the other keys; each with its source. */
  values: Map<string, ResolvedValue>;
  /** Present when there are no errors. */
  settings?: Settings;
  /** The schema's typed values even when a cross-field rule failed (doctor checks still use them). */
  typed?: Settings;
  diagnostics: Diagnostic[];
}

export interface ResolveOptions {
  /** A compose service by name. */
  service?: string;
  /** Picks the service whose environment has this MODE. @default api */
  mode?: 'api' | 'worker';
}

/** The service whose `MODE` is the mode, else the service named like the mode. */
function pickService(project: Project, options: ResolveOptions): string | undefined {
  const compose = project.compose;
  if (!compose) return undefined;
  if (options.service) {
    if (compose.services[options.service]) return options.service;
    const inactive = compose.inactive.includes(options.service);
    throw unknownService(
      `service "${options.service}" is ${inactive ? 'behind a profile that is not active' : 'not defined'} in ${compose.file}`,
      {
        hint: inactive
          ? 'Add its profile to COMPOSE_PROFILES in .env.'
          : `Known services: ${Object.keys(compose.services).join(', ')}`,
      },
    );
  }
  const mode = options.mode ?? 'api';
  const byMode = Object.values(compose.services).find((s) => s.environment.get('MODE')?.value === mode);
  if (byMode) return byMode.name;
  if (compose.services[mode]) return mode;
  throw unknownService(`no service in ${compose.file} runs MODE=${mode}`, {
    hint: `Add a service "${mode}" with MODE: ${mode} in its environment, or pick one with --service.`,
  });
}

function rawSettings(project: Project, service: string | undefined): Map<string, EnvValue> {
  if (service && project.compose) return new Map(project.compose.services[service]?.environment);
  const raw = new Map<string, EnvValue>();
  for (const [key, entry] of project.dotenv) {
    raw.set(key, {
      value: entry.value,
      source: { kind: 'file', file: project.envFile?.display ?? '.env', line: entry.line, column: entry.column },
    });
  }
  // Without a compose file the shell still beats .env for the settings difyctl knows.
  for (const key of SETTING_KEYS) {
    const value = project.env[key];
    if (value !== undefined) raw.set(key, { value, source: { kind: 'shell' } });
  }
  return raw;
}

function locate(project: Project, source: SettingSource | undefined): SourceLocation | undefined {
  if (source?.kind !== 'file') return undefined;
  const file = project.files.get(source.file);
  return file
    ? file.locationAt(source.line, source.column)
    : { file: source.file, line: source.line, column: source.column };
}

/** Phase two and three: pick the service, type the settings with the schema, apply cross-field rules. */
export function resolveConfig(project: Project, options: ResolveOptions = {}): ResolvedConfig {
  const service = pickService(project, options);
  const raw = rawSettings(project, service);
  const input: Record<string, string> = {};
  for (const [key, { value }] of raw) if (value !== undefined) input[key] = value;

  const diagnostics: Diagnostic[] = [];
  const where = (key: string) => {
    const source = raw.get(key)?.source;
    return source ? formatSource(source) : `.env (${key} is not set)`;
  };
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      const shown = redact(key, input[key]);
      diagnostics.push({
        level: 'error',
        code: 'CONFIG.INVALID',
        key,
        // A message names the value, cut when long: its size must not make the report grow.
        message: shown === undefined ? `${key} ${issue.message}` : `${key}=${clipValue(shown)}: ${issue.message}`,
        hint: `Fix ${key} in ${where(key)}.`,
        location: locate(project, raw.get(key)?.source),
      });
    }
  } else {
    for (const issue of crossFieldIssues(parsed.data)) {
      diagnostics.push({
        level: issue.level,
        code: issue.level === 'error' ? 'CONFIG.INVALID' : 'CONFIG.SETTING_WARNING',
        key: issue.key,
        message: `${issue.key} ${issue.message}`,
        hint: `${issue.hint} (${where(issue.key)}).`,
        location: locate(project, raw.get(issue.key)?.source),
      });
    }
  }
  for (const [key, { source }] of raw) {
    const suggestion = nearMiss(key, SETTING_KEYS);
    if (suggestion && !raw.has(suggestion)) {
      diagnostics.push({
        level: 'warning',
        code: 'CONFIG.NEAR_MISS',
        key,
        message: `${key} is not a setting difyctl knows; did you mean ${suggestion}?`,
        hint: `Rename ${key} to ${suggestion}.`,
        location: locate(project, source),
      });
    }
  }

  const values = new Map<string, ResolvedValue>();
  const typed = parsed.success ? (parsed.data as Record<SettingKey, unknown>) : undefined;
  for (const key of SETTING_KEYS) {
    const entry = raw.get(key);
    const value = typed ? typed[key] : entry?.value;
    values.set(key, { value, source: entry && entry.value !== undefined ? entry.source : { kind: 'default' } });
  }
  for (const [key, entry] of raw)
    if (!values.has(key)) values.set(key, { value: entry.value ?? null, source: entry.source });

  const hasErrors = diagnostics.some((d) => d.level === 'error');
  return {
    project,
    service,
    raw,
    values,
    settings: parsed.success && !hasErrors ? parsed.data : undefined,
    typed: parsed.success ? parsed.data : undefined,
    diagnostics,
  };
}

export type LoadConfigOptions = ProjectOptions & ResolveOptions;

/** Loads the project and resolves the settings of one service (the programmatic `difyctl config`). */
export function loadConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  return resolveConfig(loadProject(options), options);
}

/** The settings, or a CONFIG.INVALID error naming the first problem and how many there are. */
export function requireValid(config: ResolvedConfig): Settings {
  const errors = config.diagnostics.filter((d) => d.level === 'error');
  const first = errors[0];
  if (config.settings && !first) return config.settings;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more: run \`difyctl config\`)` : '';
  throw configInvalid(`${first?.message ?? 'invalid settings'}${more}`, {
    location: first?.location,
    hint: first?.hint,
    details: { errors: errors.map(({ code, key, message }) => ({ code, key, message })) },
  });
}
