import path from 'node:path';
import type { DifyctlError, SourceLocation } from '../errors/index.js';
import type { ComposeService, Dependency, EnvValue, Healthcheck, PortMapping, VolumeMount } from './compose-model.js';
import type { ComposeScope } from './compose-scope.js';
import { parseDuration } from './durations.js';
import type { SettingSource } from './sources.js';
import { isYamlMap as isMap, type YamlMap, type YamlValue, type YamlValues } from './yaml-values.js';

/** A compose service's YAML values → the model difyctl uses (after include, extends and merges). */

const asString = (v: YamlValue | undefined): string | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'object' ? undefined : String(v);
const asBool = (v: YamlValue | undefined): boolean =>
  v === true || (typeof v === 'string' && /^(true|yes|1|on)$/i.test(v));

export interface NormaliseArgs {
  name: string;
  node: YamlMap;
  values: YamlValues;
  /** The scope of the service's own file: the fallback for entries without an origin. */
  scope: ComposeScope;
  /** Loads a service's `env_file` (an absolute path) into entries with their sources. */
  loadEnvFile: (file: string, required: boolean, at?: SourceLocation) => Map<string, EnvValue>;
  at: (container: object, key: string | number) => SourceLocation;
  error: (message: string, container: object, key: string | number, hint?: string) => DifyctlError;
  line: number;
  file: string;
}

export function normaliseService(args: NormaliseArgs): ComposeService {
  const { name, node, error } = args;
  const stringList = (v: YamlValue | undefined) => (Array.isArray(v) ? v.map((x) => asString(x) ?? '') : asString(v));
  /** Relative paths resolve against the directory of the file each entry was written in. */
  const dirOf = (container: object, key: string | number) =>
    (args.values.origin(container, key)?.scope ?? args.scope).workingDir;
  const ports = node.ports;
  const volumes = node.volumes;
  return {
    name,
    image: asString(node.image),
    command: stringList(node.command),
    entrypoint: stringList(node.entrypoint),
    environment: environment(args),
    ports: Array.isArray(ports)
      ? ports.map((p, i) =>
          port(p, () =>
            error(
              `service "${name}": invalid port "${String(p)}"`,
              ports,
              i,
              'Use HOST:CONTAINER, e.g. "127.0.0.1:5432:5432".',
            ),
          ),
        )
      : [],
    volumes: Array.isArray(volumes) ? volumes.flatMap((v, i) => volume(v, dirOf(volumes, i))) : [],
    healthcheck: healthcheck(node.healthcheck),
    dependsOn: dependsOn(node.depends_on),
    profiles: Array.isArray(node.profiles) ? node.profiles.map((p) => asString(p) ?? '') : [],
    restart: asString(node.restart),
    labels: labels(node.labels),
    containerName: asString(node.container_name),
    networks: Array.isArray(node.networks)
      ? node.networks.map((n) => asString(n) ?? '')
      : isMap(node.networks)
        ? Object.keys(node.networks)
        : [],
    line: args.line,
    file: args.file,
  };
}

function environment(args: NormaliseArgs): Map<string, EnvValue> {
  const { name, node, values, error } = args;
  const env = new Map<string, EnvValue>();
  const scopeOf = (container: object, key: string | number) => values.origin(container, key)?.scope ?? args.scope;
  const envFiles = node.env_file;
  const fileEntries: Array<{ entry: YamlValue; container: object; key: string | number }> = Array.isArray(envFiles)
    ? envFiles.map((entry, i) => ({ entry, container: envFiles, key: i }))
    : envFiles === undefined || envFiles === null
      ? []
      : [{ entry: envFiles, container: node, key: 'env_file' }];
  for (const { entry, container, key } of fileEntries) {
    const file = isMap(entry) ? asString(entry.path) : asString(entry);
    const required = isMap(entry) ? entry.required !== false : true;
    if (file)
      for (const [k, v] of args.loadEnvFile(
        path.resolve(scopeOf(container, key).workingDir, file),
        required,
        args.at(container, key),
      ))
        env.set(k, v);
  }
  const declared = node.environment;
  const fromFile = (container: object, key: string | number): SettingSource => {
    const origin = values.origin(container, key);
    const scope = origin?.scope ?? args.scope;
    const variable = origin?.variable ? scope.variableSource(origin.variable) : undefined;
    if (variable) return variable;
    const { line, column } = scope.source.position(origin?.offset ?? 0);
    return { kind: 'file', file: scope.source.display, line, column };
  };
  const inherit = (key: string, container: object, at: string | number): EnvValue => {
    const scope = scopeOf(container, at);
    return { value: scope.lookup(key), source: scope.variableSource(key) ?? { kind: 'shell' } };
  };
  if (isMap(declared)) {
    for (const [key, value] of Object.entries(declared)) {
      if (value === null) env.set(key, inherit(key, declared, key));
      else if (typeof value === 'object')
        throw error(`service "${name}": environment.${key} must be a string, number or boolean`, declared, key);
      else env.set(key, { value: String(value), source: fromFile(declared, key) });
    }
  } else if (Array.isArray(declared)) {
    declared.forEach((item, i) => {
      const text = asString(item);
      if (text === undefined)
        throw error(`service "${name}": environment entries must be KEY=VALUE strings`, declared, i);
      const eq = text.indexOf('=');
      if (eq < 0) env.set(text, inherit(text, declared, i));
      else env.set(text.slice(0, eq), { value: text.slice(eq + 1), source: fromFile(declared, i) });
    });
  } else if (declared !== undefined && declared !== null) {
    throw error(`service "${name}": environment must be a mapping or a list`, node, 'environment');
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
  if (!Number.isInteger(target) || (published !== undefined && published !== '' && !/^\d+$/.test(published)))
    throw invalid();
  return {
    target,
    published: published ? Number(published) : undefined,
    hostIp: hostIp || undefined,
    protocol: proto === 'udp' ? 'udp' : 'tcp',
  };
}

function volume(value: YamlValue, baseDir: string): VolumeMount[] {
  const resolveSource = (src: string) =>
    src.startsWith('~') ? path.join(process.env.HOME ?? '', src.slice(1)) : path.resolve(baseDir, src);
  if (isMap(value)) {
    const source = asString(value.source) ?? '';
    const target = asString(value.target) ?? '';
    const type = value.type === 'bind' ? 'bind' : 'volume';
    return [
      { type, source: type === 'bind' ? resolveSource(source) : source, target, readOnly: value.read_only === true },
    ];
  }
  const text = asString(value) ?? '';
  const [src = '', dst, mode] = text.split(':');
  if (dst === undefined) return []; // an anonymous volume: nothing on the host to manage
  const isPath = /^[./~]/.test(src);
  return [
    {
      type: isPath ? 'bind' : 'volume',
      source: isPath ? resolveSource(src) : src,
      target: dst,
      readOnly: mode?.split(',').includes('ro') ?? false,
    },
  ];
}

function healthcheck(value: YamlValue | undefined): Healthcheck | undefined {
  if (!isMap(value)) return undefined;
  const test = Array.isArray(value.test)
    ? value.test.map((t) => asString(t) ?? '')
    : typeof value.test === 'string'
      ? ['CMD-SHELL', value.test]
      : [];
  const duration = (v: YamlValue | undefined) =>
    typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined;
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
        condition:
          condition === 'service_healthy' || condition === 'service_completed_successfully'
            ? condition
            : 'service_started',
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
