import { LineCounter, parseDocument } from 'yaml';
import type { DifyctlError, SourceLocation } from '../errors/index.js';
import { displayName, readSource } from './config-files.js';
import { applyExtends } from './compose-extends.js';
import { applyInclude } from './compose-include.js';
import { enforceUnicity } from './compose-merge.js';
import type { ComposeProject, ComposeService, EnvValue } from './compose-model.js';
import { normaliseService } from './compose-normalise.js';
import type { ComposeScope, LoadContext } from './compose-scope.js';
import type { Lookup } from './interpolate.js';
import type { SourceFile } from './source-file.js';
import type { SettingSource } from './sources.js';
import { isYamlMap, LocatedInterpolationError, toValues, YamlValues, type YamlMap } from './yaml-values.js';
import { composeError, invalidInterpolation, requiredVariableUnset, invalidYaml } from './errors.js';

export interface ComposeLoadOptions {
  source: SourceFile;
  projectDir: string;
  lookup: Lookup;
  /** Where a variable used in interpolation was set (shell or an env file line). */
  variableSource: (name: string) => SettingSource | undefined;
  /** Active profiles (COMPOSE_PROFILES / --profile). */
  profiles: string[];
  /** Loads a service's `env_file` (an absolute path) into entries with their sources. */
  loadEnvFile: (file: string, required: boolean, at?: SourceLocation) => Map<string, EnvValue>;
  /** Reads a file an `include` or `extends` names. @default from disk, named relative to projectDir */
  readFile?: (file: string, what: string, at?: SourceLocation) => SourceFile;
}

function interpolationError(err: LocatedInterpolationError, source: SourceFile): DifyctlError {
  const location = source.location(err.offset);
  if (err.error.kind === 'required') {
    return requiredVariableUnset(err.error.message, {
      location,
      hint: `Set ${err.error.variable} in .env or in the shell, e.g. \`${err.error.variable}=… difyctl …\`.`,
    });
  }
  return invalidInterpolation(err.error.message, {
    location,
    hint: 'Close the brace (`${VAR}`), use a valid variable name, or write `$$` for a literal `$`.',
  });
}

/** One compose file parsed and interpolated with its scope's variables; origins name the file. */
function parseFile(scope: ComposeScope, values: YamlValues): YamlMap {
  const { source } = scope;
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, {
    merge: true,
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: false,
  });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0];
    const location = pos ? source.locationAt(pos.line, pos.col) : source.location(yamlError.pos[0]);
    const message = yamlError.message.split('\n')[0] ?? yamlError.message;
    throw invalidYaml(`${source.display} is not valid YAML: ${message}`, {
      location,
      hint: 'Fix the YAML at the marked position (indentation, a missing colon, an unclosed quote or bracket).',
    });
  }
  try {
    const { root } = toValues(doc, scope.lookup, { values, scope });
    if (!isYamlMap(root))
      throw composeError(`${source.display} must be a mapping with a \`services\` key`, {
        location: source.locationAt(1, 1),
      });
    return root;
  } catch (error) {
    if (error instanceof LocatedInterpolationError) throw interpolationError(error, source);
    throw error;
  }
}

/** Per file, as compose-go does: include first (so extends can name included services), then extends. */
function completeModel(ctx: LoadContext, root: YamlMap, scope: ComposeScope, chain: string[]): YamlMap {
  applyInclude(ctx, root, scope, [...chain, scope.source.absolutePath]);
  applyExtends(ctx, root, scope);
  if (isYamlMap(root.services))
    for (const service of Object.values(root.services)) if (isYamlMap(service)) enforceUnicity(service, ctx.values);
  return root;
}

function createContext(options: ComposeLoadOptions, values: YamlValues): LoadContext {
  const read =
    options.readFile ??
    ((file: string, what: string, at?: SourceLocation) =>
      readSource({ file, projectDir: options.projectDir, what, at }));
  const at = (container: object, key: string | number, part: 'key' | 'value' = 'value'): SourceLocation => {
    const origin = values.origin(container, key);
    const offset = part === 'key' ? (origin?.keyOffset ?? origin?.offset) : origin?.offset;
    return (origin?.scope?.source ?? options.source).location(offset ?? 0);
  };
  const ctx: LoadContext = {
    values,
    display: (file) => displayName(file, options.projectDir),
    read,
    parse: (scope) => parseFile(scope, values),
    loadModel: (scope, chain) => completeModel(ctx, parseFile(scope, values), scope, chain),
    at,
    error: (message, container, key, hint) => composeError(message, { location: at(container, key), hint }),
  };
  return ctx;
}

/**
 * Parses, interpolates and normalises a compose file, with its `include`s and `extends`, into the
 * model difyctl uses. Every value keeps the file and line it was written at.
 */
export function loadCompose(options: ComposeLoadOptions): ComposeProject {
  const values = new YamlValues();
  const ctx = createContext(options, values);
  const scope: ComposeScope = {
    source: options.source,
    workingDir: options.projectDir,
    lookup: options.lookup,
    variableSource: options.variableSource,
  };
  const parsed = parseFile(scope, values);
  // A file may hold only `include:` (compose allows it); without either key it is not a compose file.
  const declaresInclude = 'include' in parsed;
  const root = completeModel(ctx, parsed, scope, []);
  const servicesNode = root.services ?? (declaresInclude ? {} : undefined);
  if (servicesNode === undefined)
    throw composeError(`${options.source.display} must be a mapping with a \`services\` key`, {
      location: options.source.locationAt(1, 1),
    });
  if (!isYamlMap(servicesNode)) throw ctx.error('`services` must be a mapping of service names', root, 'services');

  const services: Record<string, ComposeService> = {};
  const inactive: string[] = [];
  for (const [name, node] of Object.entries(servicesNode)) {
    if (!isYamlMap(node)) throw ctx.error(`service "${name}" must be a mapping`, servicesNode, name);
    const origin = values.origin(servicesNode, name);
    const own = origin?.scope ?? scope;
    const service = normaliseService({
      name,
      node,
      values,
      scope: own,
      loadEnvFile: options.loadEnvFile,
      at: ctx.at,
      error: ctx.error,
      line: own.source.position(origin?.keyOffset ?? origin?.offset ?? 0).line,
      file: own.source.display,
    });
    const enabled = service.profiles.length === 0 || service.profiles.some((p) => options.profiles.includes(p));
    if (enabled) services[name] = service;
    else inactive.push(name);
  }
  return {
    file: options.source.display,
    services,
    inactive,
    volumes: isYamlMap(root.volumes) ? Object.keys(root.volumes) : [],
    networks: isYamlMap(root.networks) ? Object.keys(root.networks) : [],
  };
}
