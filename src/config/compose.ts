import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { DifyctlError } from '../errors/index.js';
import type { Lookup } from './interpolate.js';
import type { ComposeProject, ComposeService, Dependency, EnvValue, Healthcheck, PortMapping, VolumeMount } from './compose-model.js';
import { parseDuration } from './durations.js';
import type { SourceFile } from './source-file.js';
import type { SettingSource } from './sources.js';
import { LocatedInterpolationError, toValues, type YamlValue, type YamlValues } from './yaml-values.js';

export interface ComposeLoadOptions {
  source: SourceFile;
  projectDir: string;
  lookup: Lookup;
  /** Where a variable used in interpolation was set (shell or an env file line). */
  variableSource: (name: string) => SettingSource | undefined;
  /** Active profiles (COMPOSE_PROFILES / --profile). */
  profiles: string[];
  /** Loads a service's `env_file` into entries with their sources. */
  loadEnvFile: (file: string, required: boolean) => Map<string, EnvValue>;
}

type YamlMap = { [key: string]: YamlValue };
const isMap = (v: YamlValue | undefined): v is YamlMap => typeof v === 'object' && v !== null && !Array.isArray(v);
const asString = (v: YamlValue | undefined): string | undefined => (v === null || v === undefined ? undefined : typeof v === 'object' ? undefined : String(v));
const asBool = (v: YamlValue | undefined): boolean => v === true || (typeof v === 'string' && /^(true|yes|1|on)$/i.test(v));

function interpolationError(err: LocatedInterpolationError, source: SourceFile): DifyctlError {
  const location = source.location(err.offset);
  if (err.error.kind === 'required') {
    return new DifyctlError('CONFIG.REQUIRED_VARIABLE', err.error.message, {
      location,
      hint: `Set ${err.error.variable} in .env or in the shell, e.g. \`${err.error.variable}=… difyctl …\`.`,
    });
  }
  return new DifyctlError('CONFIG.INTERPOLATION', err.error.message, {
    location,
    hint: 'Close the brace (`${VAR}`), use a valid variable name, or write `$$` for a literal `$`.',
  });
}

/** Parses, interpolates and normalises a compose file into the model difyctl uses. */
export function loadCompose(options: ComposeLoadOptions): ComposeProject {
  const { source } = options;
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { merge: true, lineCounter, prettyErrors: false, uniqueKeys: true, strict: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0];
    const location = pos ? source.locationAt(pos.line, pos.col) : source.location(yamlError.pos[0]);
    const message = yamlError.message.split('\n')[0] ?? yamlError.message;
    throw new DifyctlError('CONFIG.YAML', `${source.display} is not valid YAML: ${message}`, {
      location,
      hint: 'Fix the YAML at the marked position (indentation, a missing colon, an unclosed quote or bracket).',
    });
  }
  let root: YamlValue;
  let values: YamlValues;
  try {
    ({ root, values } = toValues(doc, options.lookup));
  } catch (error) {
    if (error instanceof LocatedInterpolationError) throw interpolationError(error, source);
    throw error;
  }
  const at = (container: object, key: string | number) => source.location(values.origin(container, key)?.offset ?? 0);
  const composeError = (message: string, container: object, key: string | number, hint?: string) =>
    new DifyctlError('CONFIG.COMPOSE', message, { location: at(container, key), hint });

  if (!isMap(root)) throw new DifyctlError('CONFIG.COMPOSE', `${source.display} must be a mapping with a \`services\` key`, { location: source.locationAt(1, 1) });
  const servicesNode = root.services;
  if (!isMap(servicesNode)) throw composeError('`services` must be a mapping of service names', root, 'services');

  const services: Record<string, ComposeService> = {};
  const inactive: string[] = [];
  for (const [name, node] of Object.entries(servicesNode)) {
    if (!isMap(node)) throw composeError(`service "${name}" must be a mapping`, servicesNode, name);
    const service = normaliseService({ name, node, values, options, composeError, line: source.position(values.origin(servicesNode, name)?.offset ?? 0).line });
    const enabled = service.profiles.length === 0 || service.profiles.some((p) => options.profiles.includes(p));
    if (enabled) services[name] = service;
    else inactive.push(name);
  }
  return {
    file: source.display,
    services,
    inactive,
    volumes: isMap(root.volumes) ? Object.keys(root.volumes) : [],
    networks: isMap(root.networks) ? Object.keys(root.networks) : [],
  };
}

interface NormaliseArgs {
  name: string;
  node: YamlMap;
  values: YamlValues;
  options: ComposeLoadOptions;
  composeError: (message: string, container: object, key: string | number, hint?: string) => DifyctlError;
  line: number;
}

function normaliseService(args: NormaliseArgs): ComposeService {
  const { name, node, options, composeError } = args;
  const command = node.command;
  const entrypoint = node.entrypoint;
  const stringList = (v: YamlValue | undefined) => (Array.isArray(v) ? v.map((x) => asString(x) ?? '') : asString(v));
  return {
    name,
    image: asString(node.image),
    command: stringList(command),
    entrypoint: stringList(entrypoint),
    environment: environment(args),
    ports: Array.isArray(node.ports) ? node.ports.map((p, i) => port(p, () => composeError(`service "${name}": invalid port "${String(p)}"`, node.ports as object, i, 'Use HOST:CONTAINER, e.g. "127.0.0.1:5432:5432".'))) : [],
    volumes: Array.isArray(node.volumes) ? node.volumes.flatMap((v) => volume(v, options.projectDir)) : [],
    healthcheck: healthcheck(node.healthcheck),
    dependsOn: dependsOn(node.depends_on),
    profiles: Array.isArray(node.profiles) ? node.profiles.map((p) => asString(p) ?? '') : [],
    restart: asString(node.restart),
    labels: labels(node.labels),
    containerName: asString(node.container_name),
    networks: Array.isArray(node.networks) ? node.networks.map((n) => asString(n) ?? '') : isMap(node.networks) ? Object.keys(node.networks) : [],
    line: args.line,
  };
}

function environment({ name, node, values, options, composeError }: NormaliseArgs): Map<string, EnvValue> {
  const env = new Map<string, EnvValue>();
  const envFiles = node.env_file;
  const fileEntries = Array.isArray(envFiles) ? envFiles : envFiles === undefined ? [] : [envFiles];
  for (const entry of fileEntries) {
    const file = isMap(entry) ? asString(entry.path) : asString(entry);
    const required = isMap(entry) ? entry.required !== false : true;
    if (file) for (const [k, v] of options.loadEnvFile(file, required)) env.set(k, v);
  }
  const declared = node.environment;
  const fromFile = (container: object, key: string | number): SettingSource => {
    const origin = values.origin(container, key);
    const variable = origin?.variable ? options.variableSource(origin.variable) : undefined;
    if (variable) return variable;
    const { line, column } = options.source.position(origin?.offset ?? 0);
    return { kind: 'file', file: options.source.display, line, column };
  };
  const inherit = (key: string): EnvValue => {
    const value = options.lookup(key);
    return { value, source: options.variableSource(key) ?? { kind: 'shell' } };
  };
  if (isMap(declared)) {
    for (const [key, value] of Object.entries(declared)) {
      if (value === null) env.set(key, inherit(key));
      else if (typeof value === 'object') throw composeError(`service "${name}": environment.${key} must be a string, number or boolean`, declared, key);
      else env.set(key, { value: String(value), source: fromFile(declared, key) });
    }
  } else if (Array.isArray(declared)) {
    declared.forEach((item, i) => {
      const text = asString(item);
      if (text === undefined) throw composeError(`service "${name}": environment entries must be KEY=VALUE strings`, declared, i);
      const eq = text.indexOf('=');
      if (eq < 0) env.set(text, inherit(text));
      else env.set(text.slice(0, eq), { value: text.slice(eq + 1), source: fromFile(declared, i) });
    });
  } else if (declared !== undefined && declared !== null) {
    throw composeError(`service "${name}": environment must be a mapping or a list`, node, 'environment');
  }
  return env;
}

function port(value: YamlValue, invalid: () => DifyctlError): PortMapping {
  if (isMap(value)) {
    const target = Number(value.target);
    if (!Number.isInteger(target)) throw invalid();
    const published = value.published === undefined || value.published === null ? undefined : Number(value.published);
    return { target, published, hostIp: asString(value.host_ip), protocol: value.protocol === 'udp' ? 'udp' : 'tcp' };
  }
  const text = asString(value) ?? '';
  const [spec = '', proto] = text.split('/');
  const parts = spec.split(':');
  const target = Number(parts.pop());
  const published = parts.length ? parts.pop() : undefined;
  const hostIp = parts.length ? parts.join(':').replace(/^\[|\]$/g, '') : undefined;
  if (!Number.isInteger(target) || (published !== undefined && published !== '' && !/^\d+$/.test(published))) throw invalid();
  return { target, published: published ? Number(published) : undefined, hostIp: hostIp || undefined, protocol: proto === 'udp' ? 'udp' : 'tcp' };
}

function volume(value: YamlValue, projectDir: string): VolumeMount[] {
  const resolveSource = (src: string) => (src.startsWith('~') ? path.join(process.env.HOME ?? '', src.slice(1)) : path.resolve(projectDir, src));
  if (isMap(value)) {
    const source = asString(value.source) ?? '';
    const target = asString(value.target) ?? '';
    const type = value.type === 'bind' ? 'bind' : 'volume';
    return [{ type, source: type === 'bind' ? resolveSource(source) : source, target, readOnly: value.read_only === true }];
  }
  const text = asString(value) ?? '';
  const [src = '', dst, mode] = text.split(':');
  if (dst === undefined) return []; // an anonymous volume: nothing on the host to manage
  const isPath = /^[./~]/.test(src);
  return [{ type: isPath ? 'bind' : 'volume', source: isPath ? resolveSource(src) : src, target: dst, readOnly: mode?.split(',').includes('ro') ?? false }];
}

function healthcheck(value: YamlValue | undefined): Healthcheck | undefined {
  if (!isMap(value)) return undefined;
  const test = Array.isArray(value.test) ? value.test.map((t) => asString(t) ?? '') : typeof value.test === 'string' ? ['CMD-SHELL', value.test] : [];
  const duration = (v: YamlValue | undefined) => (typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined);
  const retries = asString(value.retries);
  return {
    test,
    intervalMs: duration(value.interval),
    timeoutMs: duration(value.timeout),
    retries: retries === undefined ? undefined : Number(retries),
    startPeriodMs: duration(value.start_period),
    disable: asBool(value.disable) || test[0] === 'NONE',
  };
}

function dependsOn(value: YamlValue | undefined): Record<string, Dependency> {
  const out: Record<string, Dependency> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const name = asString(item);
      if (name) out[name] = { condition: 'service_started', required: true, restart: false };
    }
  } else if (isMap(value)) {
    for (const [name, spec] of Object.entries(value)) {
      const m = isMap(spec) ? spec : {};
      const condition = asString(m.condition);
      out[name] = {
        condition: condition === 'service_healthy' || condition === 'service_completed_successfully' ? condition : 'service_started',
        required: m.required === undefined ? true : asBool(m.required),
        restart: asBool(m.restart),
      };
    }
  }
  return out;
}

function labels(value: YamlValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (isMap(value)) for (const [k, v] of Object.entries(value)) out[k] = asString(v) ?? '';
  else if (Array.isArray(value))
    for (const item of value) {
      const [k = '', ...rest] = (asString(item) ?? '').split('=');
      out[k] = rest.join('=');
    }
  return out;
}
