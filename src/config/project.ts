import path from 'node:path';
import type { SourceLocation } from '../errors/index.js';
import { fileIsPresent, parseEnvSource, readSource } from './config-files.js';
import { loadCompose } from './compose.js';
import type { ComposeProject, EnvValue } from './compose-model.js';
import type { DotenvEntry } from './dotenv.js';
import type { Lookup } from './interpolate.js';
import type { SourceFile } from './source-file.js';
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

function normaliseProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '') || 'difyctl';
}

/** Phase one: find and parse the files (.env, compose) with docker compose's rules. */
export function loadProject(options: ProjectOptions = {}): Project {
  const env = options.env ?? process.env;
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  const files = new Map<string, SourceFile>();
  const shell: Lookup = (name) => env[name];

  const read = (file: string, what: string, at?: SourceLocation) => {
    const source = readSource({ file, projectDir, what, at });
    files.set(source.display, source);
    return source;
  };

  const envPath = path.resolve(projectDir, options.envFile ?? '.env');
  // A dangling .env link is an error naming the link, not a missing file (which would blame SECRET_KEY).
  const envFile =
    options.envFile !== undefined || fileIsPresent(envPath, 'env file') ? read(envPath, 'env file') : undefined;
  const dotenv = envFile ? parseEnvSource(envFile, shell) : new Map<string, DotenvEntry>();
  const lookup: Lookup = (name) => env[name] ?? dotenv.get(name)?.value;
  const variableSource = (name: string): SettingSource | undefined => {
    if (env[name] !== undefined) return { kind: 'shell' };
    const entry = dotenv.get(name);
    return entry && envFile
      ? { kind: 'file', file: envFile.display, line: entry.line, column: entry.column }
      : undefined;
  };

  const composePath = options.file
    ? path.resolve(projectDir, options.file)
    : COMPOSE_FILE_NAMES.map((n) => path.join(projectDir, n)).find((p) => fileIsPresent(p, 'compose file'));
  let composeFile: SourceFile | undefined;
  let compose: ComposeProject | undefined;
  if (composePath) {
    composeFile = read(composePath, 'compose file');
    const profiles = [...(lookup('COMPOSE_PROFILES') ?? '').split(','), ...(options.profiles ?? [])]
      .map((p) => p.trim())
      .filter(Boolean);
    compose = loadCompose({
      source: composeFile,
      projectDir,
      lookup,
      variableSource,
      profiles,
      loadEnvFile: (file, required, at) =>
        loadServiceEnvFile({ file: path.resolve(projectDir, file), required, at, read, lookup: shell }),
      readFile: read,
    });
  }
  const projectName = normaliseProjectName(
    options.projectName ?? lookup('COMPOSE_PROJECT_NAME') ?? path.basename(projectDir),
  );
  return { projectDir, projectName, env, composeFile, envFile, dotenv, compose, lookup, variableSource, files };
}

function loadServiceEnvFile(args: {
  file: string;
  required: boolean;
  at?: SourceLocation;
  read: (file: string, what: string, at?: SourceLocation) => SourceFile;
  lookup: Lookup;
}): Map<string, EnvValue> {
  if (!args.required && !fileIsPresent(args.file, 'env_file', args.at)) return new Map();
  const source = args.read(args.file, 'env_file', args.at);
  const out = new Map<string, EnvValue>();
  for (const [key, entry] of parseEnvSource(source, args.lookup)) {
    out.set(key, {
      value: entry.value,
      source: { kind: 'file', file: source.display, line: entry.line, column: entry.column },
    });
  }
  return out;
}
