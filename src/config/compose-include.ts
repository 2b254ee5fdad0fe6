import path from 'node:path';
import { fileIsPresent, parseEnvSource } from './config-files.js';
import { mergeService } from './compose-merge.js';
import type { ComposeScope, LoadContext } from './compose-scope.js';
import type { DotenvEntry } from './dotenv.js';
import type { SourceFile } from './source-file.js';
import type { SettingSource } from './sources.js';
import { isYamlMap, type YamlMap, type YamlValue } from './yaml-values.js';
import { composeError } from './errors.js';

/**
 * Compose's top-level `include` (compose-spec 14-include.md, compose-go `loader/include.go`): each
 * entry is loaded as its own project — relative paths against its project directory (default: the
 * included file's directory), variables from the including project's environment first, then the
 * included project's env files (default: `.env` in its project directory) — and its services,
 * volumes and networks are copied in. A name defined twice (differently) is an error, as in compose.
 */

/** The resources compose imports from an included project. */
const RESOURCES = ['services', 'volumes', 'networks', 'secrets', 'configs'] as const;

interface IncludeEntry {
  /** Compose files: the first defines the project; the others override it. */
  paths: Array<{ file: string; container: object; key: string | number }>;
  projectDirectory?: string;
  envFiles?: Array<{ file: string; container: object; key: string | number }>;
}

/** Strings (or one string) of an entry field, each with where it was written. */
function stringList(
  ctx: LoadContext,
  container: YamlMap,
  key: string,
): Array<{ file: string; container: object; key: string | number }> {
  const value = container[key];
  if (typeof value === 'string') return [{ file: value, container, key }];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return value.map((v, i) => ({ file: String(v), container: value, key: i }));
  throw ctx.error(`include: \`${key}\` must be a path or a list of paths`, container, key);
}

function entry(ctx: LoadContext, list: YamlValue[], index: number): IncludeEntry {
  const item = list[index] ?? null;
  if (typeof item === 'string') return { paths: [{ file: item, container: list, key: index }] };
  if (!isYamlMap(item))
    throw ctx.error(
      'include entries must be a path or a mapping with `path`',
      list,
      index,
      'Write `- path/to/compose.yaml` or `- path: path/to/compose.yaml`.',
    );
  if (item.path === undefined || item.path === null) throw ctx.error('include: `path` is required', list, index);
  const projectDirectory = item.project_directory;
  if (projectDirectory !== undefined && projectDirectory !== null && typeof projectDirectory !== 'string')
    throw ctx.error('include: `project_directory` must be a path', item, 'project_directory');
  return {
    paths: stringList(ctx, item, 'path'),
    projectDirectory: projectDirectory ?? undefined,
    envFiles: item.env_file === undefined || item.env_file === null ? undefined : stringList(ctx, item, 'env_file'),
  };
}

/** The included project's variables: the including project's first, then its env files in order. */
function includedVariables(
  ctx: LoadContext,
  scope: ComposeScope,
  envFiles: Array<{ file: string; at?: ReturnType<LoadContext['at']> }>,
) {
  const entries = new Map<string, DotenvEntry & { file: string }>();
  for (const { file, at } of envFiles) {
    const source = ctx.read(file, 'env file', at);
    const lookup = (name: string) => scope.lookup(name) ?? entries.get(name)?.value;
    for (const [key, e] of parseEnvSource(source, lookup)) entries.set(key, { ...e, file: source.display });
  }
  const lookup = (name: string) => scope.lookup(name) ?? entries.get(name)?.value;
  const variableSource = (name: string): SettingSource | undefined => {
    if (scope.lookup(name) !== undefined) return scope.variableSource(name);
    const e = entries.get(name);
    return e ? { kind: 'file', file: e.file, line: e.line, column: e.column } : undefined;
  };
  return { lookup, variableSource };
}

function deepEqual(a: YamlValue | undefined, b: YamlValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isYamlMap(a) && isYamlMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** The override files of a `path` list merged onto the first, as compose merges `-f` files. */
function mergeModels(ctx: LoadContext, base: YamlMap, over: YamlMap): void {
  for (const [kind, value] of Object.entries(over)) {
    const target = base[kind];
    if (!isYamlMap(target) || !isYamlMap(value)) {
      base[kind] = value;
      ctx.values.copy(over, kind, base, kind);
      continue;
    }
    for (const [name, def] of Object.entries(value)) {
      const existing = target[name];
      if (kind === 'services' && isYamlMap(existing) && isYamlMap(def))
        target[name] = mergeService(existing, def, ctx.values);
      else {
        target[name] = def;
        ctx.values.copy(value, name, target, name);
      }
    }
  }
}

function importResources(
  ctx: LoadContext,
  args: { root: YamlMap; model: YamlMap; include: YamlValue[]; index: number; file: string },
): void {
  const { root, model, include, index, file } = args;
  for (const kind of RESOURCES) {
    const from = model[kind];
    if (!isYamlMap(from)) continue;
    const existing = root[kind];
    const to: YamlMap = isYamlMap(existing) ? existing : {};
    for (const [name, def] of Object.entries(from)) {
      if (name in to) {
        if (deepEqual(to[name], def)) continue;
        const first = ctx.at(to, name, 'key');
        throw composeError(
          `${kind}.${name} from the included ${file} is already defined at ${first.file}:${first.line}`,
          {
            location: ctx.at(include, index),
            hint: `Compose does not merge an included ${kind === 'services' ? 'service' : 'resource'} with one of the same name: rename one of them or drop one definition.`,
          },
        );
      }
      to[name] = def;
      ctx.values.copy(from, name, to, name);
    }
    if (to !== existing) {
      root[kind] = to;
      ctx.values.copy(model, kind, root, kind);
    }
  }
}

/** Applies `root.include` (then removes it). @param chain the files including `root`'s file, itself last */
export function applyInclude(ctx: LoadContext, root: YamlMap, scope: ComposeScope, chain: string[]): void {
  const include = root.include;
  if (include === undefined || include === null) return;
  if (!Array.isArray(include))
    throw ctx.error('`include` must be a list of paths or of mappings with `path`', root, 'include');
  include.forEach((_, index) => {
    const { paths, projectDirectory, envFiles } = entry(ctx, include, index);
    const resolved = paths.map((p) => ({ ...p, abs: path.resolve(scope.workingDir, p.file) }));
    const main = resolved[0];
    if (!main) throw ctx.error('include: `path` must name at least one file', include, index);
    if (chain.includes(main.abs)) {
      const cycle = [...chain, main.abs].map((f) => ctx.display(f)).join(' → ');
      throw composeError(`include cycle: ${cycle}`, {
        location: ctx.at(main.container, main.key),
        hint: 'Remove one of the includes that lead back to a file already being included.',
      });
    }
    const workingDir = projectDirectory ? path.resolve(scope.workingDir, projectDirectory) : path.dirname(main.abs);
    const envs = envFiles
      ? envFiles.map((e) => ({ file: path.resolve(scope.workingDir, e.file), at: ctx.at(e.container, e.key) }))
      : [{ file: path.join(workingDir, '.env'), at: ctx.at(include, index) }].filter((e) =>
          fileIsPresent(e.file, 'env file', e.at),
        );
    const variables = includedVariables(ctx, scope, envs);
    const [mainSource, ...overrides] = resolved.map((p) =>
      ctx.read(p.abs, 'included compose file', ctx.at(p.container, p.key)),
    );
    const load = (source: SourceFile) => ctx.loadModel({ source, workingDir, ...variables }, chain);
    const model = load(mainSource as SourceFile); // resolved has a first entry, checked above
    for (const override of overrides) mergeModels(ctx, model, load(override));
    importResources(ctx, { root, model, include, index, file: ctx.display(main.abs) });
  });
  delete root.include;
}
