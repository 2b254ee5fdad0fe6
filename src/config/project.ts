import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DifyctlError } from '../errors/index.js';
import { loadCompose } from './compose.js';
import type { ComposeProject, EnvValue } from './compose-model.js';
import { dotenvToMap, DotenvParseError, parseDotenv, type DotenvEntry } from './dotenv.js';
import { InterpolationError, type Lookup } from './interpolate.js';
import { SourceFile } from './source-file.js';
import type { SettingSource } from './sources.js';

export const COMPOSE_FILE_NAMES = ['docker-compose.yaml', 'docker-compose.yml', 'compose.yaml', 'compose.yml'];

export interface ProjectOptions {
  /** @default process.cwd() */
  projectDir?: string;
  /** Compose file; relative to the project dir. @default the first of COMPOSE_FILE_NAMES found */
  file?: string;
  /** Env file; relative to the project dir. @default .env */
  envFile?: string;
  /** @default COMPOSE_PROJECT_NAME, else the directory name */
  projectName?: string;
  /** The shell environment. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Extra active profiles, added to COMPOSE_PROFILES. */
  profiles?: string[];
}

/** The project's files, parsed and interpolated, before any service is picked. */
export interface Project {
  projectDir: string;
  projectName: string;
  env: NodeJS.ProcessEnv;
  composeFile?: SourceFile;
  envFile?: SourceFile;
  dotenv: Map<string, DotenvEntry>;
  compose?: ComposeProject;
  /** Shell first, then .env: the lookup compose interpolation uses. */
  lookup: Lookup;
  variableSource: (name: string) => SettingSource | undefined;
  /** Files by the name messages use, for excerpts. */
  files: Map<string, SourceFile>;
}

function readSource(file: string, projectDir: string, what: string): SourceFile {
  try {
    return new SourceFile(file, readFileSync(file, 'utf8'), path.relative(projectDir, file) || path.basename(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code; // fs errors carry an errno code
    if (code === 'ENOENT') throw new DifyctlError('CONFIG.FILE_NOT_FOUND', `${what} not found: ${file}`, { hint: 'Check the path, or run `difyctl init` to create the project files.' });
    throw new DifyctlError('CONFIG.FILE_UNREADABLE', `cannot read ${what} ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function dotenvError(error: unknown, source: SourceFile): unknown {
  if (!(error instanceof DotenvParseError)) return error;
  const location = source.locationAt(error.line, error.column);
  const cause = error.cause;
  if (cause instanceof InterpolationError) {
    return cause.kind === 'required'
      ? new DifyctlError('CONFIG.REQUIRED_VARIABLE', cause.message, { location, hint: `Set ${cause.variable} earlier in ${source.display} or in the shell.` })
      : new DifyctlError('CONFIG.INTERPOLATION', cause.message, { location, hint: 'Close the brace (`${VAR}`) or write `$$` for a literal `$`.' });
  }
  return new DifyctlError('CONFIG.DOTENV', error.message.replace(/^line \d+: /, ''), {
    location,
    hint: 'Write KEY=VALUE; quote values with spaces; close every quote.',
  });
}

function parseEnvSource(source: SourceFile, lookup: Lookup): Map<string, DotenvEntry> {
  try {
    return dotenvToMap(parseDotenv(source.text, { lookup }));
  } catch (error) {
    throw dotenvError(error, source);
  }
}

function normaliseProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '') || 'difyctl';
}

/** Phase one: find and parse the files (.env, compose) with docker compose's rules. */
export function loadProject(options: ProjectOptions = {}): Project {
  const env = options.env ?? process.env;
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  const files = new Map<string, SourceFile>();
  const shell: Lookup = (name) => env[name];

  const envPath = path.resolve(projectDir, options.envFile ?? '.env');
  let envFile: SourceFile | undefined;
  if (options.envFile !== undefined || existsSync(envPath)) {
    envFile = readSource(envPath, projectDir, 'env file');
    files.set(envFile.display, envFile);
  }
  const dotenv = envFile ? parseEnvSource(envFile, shell) : new Map<string, DotenvEntry>();
  const lookup: Lookup = (name) => env[name] ?? dotenv.get(name)?.value;
  const variableSource = (name: string): SettingSource | undefined => {
    if (env[name] !== undefined) return { kind: 'shell' };
    const entry = dotenv.get(name);
    return entry && envFile ? { kind: 'file', file: envFile.display, line: entry.line, column: entry.column } : undefined;
  };

  const composePath = options.file
    ? path.resolve(projectDir, options.file)
    : COMPOSE_FILE_NAMES.map((n) => path.join(projectDir, n)).find((p) => existsSync(p));
  let composeFile: SourceFile | undefined;
  let compose: ComposeProject | undefined;
  if (composePath) {
    composeFile = readSource(composePath, projectDir, 'compose file');
    files.set(composeFile.display, composeFile);
    const profiles = [...(lookup('COMPOSE_PROFILES') ?? '').split(','), ...(options.profiles ?? [])].map((p) => p.trim()).filter(Boolean);
    compose = loadCompose({
      source: composeFile,
      projectDir,
      lookup,
      variableSource,
      profiles,
      loadEnvFile: (file, required) => loadServiceEnvFile({ file: path.resolve(projectDir, file), required, projectDir, lookup: shell, files }),
    });
  }
  const projectName = normaliseProjectName(options.projectName ?? lookup('COMPOSE_PROJECT_NAME') ?? path.basename(projectDir));
  return { projectDir, projectName, env, composeFile, envFile, dotenv, compose, lookup, variableSource, files };
}

function loadServiceEnvFile(args: { file: string; required: boolean; projectDir: string; lookup: Lookup; files: Map<string, SourceFile> }): Map<string, EnvValue> {
  if (!args.required && !existsSync(args.file)) return new Map();
  const source = readSource(args.file, args.projectDir, 'env_file');
  args.files.set(source.display, source);
  const out = new Map<string, EnvValue>();
  for (const [key, entry] of parseEnvSource(source, args.lookup)) {
    out.set(key, { value: entry.value, source: { kind: 'file', file: source.display, line: entry.line, column: entry.column } });
  }
  return out;
}
