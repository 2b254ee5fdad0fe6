import { isYamlMap, type YamlMap, type YamlValue, type YamlValues } from './yaml-values.js';

/**
 * Compose's merge rules for one service (compose-go `override.MergeYaml` at `services.*`, used by
 * `extends` and by the override files of an `include` path list), and its unicity pass
 * (`override.EnforceUnicity`). Values are plain YAML values; every copied entry keeps its origin,
 * so a merged value still names the file and line it was written at.
 */

type Path = string;
type Merger = (base: YamlValue, over: YamlValue, path: Path, values: YamlValues) => YamlValue;

/** Lists that compose builds from a mapping or a list of KEY=VALUE, appended then made unique by key. */
const TO_SEQUENCE = new Set([
  'environment',
  'labels',
  'annotations',
  'env_file',
  'label_file',
  'sysctls',
  'tmpfs',
  'dns',
  'dns_opt',
  'dns_search',
  'build.args',
  'build.labels',
  'build.additional_contexts',
  'deploy.labels',
]);
const OVERRIDE = new Set(['command', 'entrypoint', 'healthcheck.test']);

/** A deep copy whose containers keep the origins of the original's entries. */
export function cloneValue(value: YamlValue, values: YamlValues): YamlValue {
  if (Array.isArray(value)) {
    const list = value.map((item) => cloneValue(item, values));
    for (let i = 0; i < value.length; i++) values.copy(value, i, list, i);
    return list;
  }
  if (isYamlMap(value)) {
    const map: YamlMap = {};
    for (const [k, v] of Object.entries(value)) {
      map[k] = cloneValue(v, values);
      values.copy(value, k, map, k);
    }
    return map;
  }
  return value;
}

/** A mapping or a list as a list of `KEY=VALUE` (or `KEY` for a null value), sorted as compose does. */
function toSequence(value: YamlValue, values: YamlValues): YamlValue[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [value];
  if (!isYamlMap(value)) return [];
  const entries: Array<{ text: string; key: string }> = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === null) entries.push({ text: k, key: k });
    else if (Array.isArray(v)) for (const item of v) entries.push({ text: `${k}=${String(item)}`, key: k });
    else entries.push({ text: `${k}=${String(v)}`, key: k });
  }
  entries.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  const list = entries.map((e) => e.text);
  for (const [i, e] of entries.entries()) values.copy(value, e.key, list, i);
  return list;
}

function toMapping(value: YamlValue, fallback: () => YamlValue, values: YamlValues): YamlMap {
  if (isYamlMap(value)) return value;
  const map: YamlMap = {};
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const key = String(item);
      map[key] = fallback();
      values.copy(value, i, map, key);
    });
  }
  return map;
}

function appendLists(base: YamlValue[], over: YamlValue[], values: YamlValues): YamlValue[] {
  const list = [...base, ...over];
  for (let i = 0; i < base.length; i++) values.copy(base, i, list, i);
  for (let i = 0; i < over.length; i++) values.copy(over, i, list, base.length + i);
  return list;
}

const SPECIAL: Record<Path, Merger> = {
  depends_on: (b, o, p, v) => {
    const started = (): YamlValue => ({ condition: 'service_started', required: true });
    return mergeMappings(toMapping(b, started, v), toMapping(o, started, v), p, v);
  },
  networks: (b, o, p, v) =>
    mergeMappings(
      toMapping(b, () => null, v),
      toMapping(o, () => null, v),
      p,
      v,
    ),
  build: (b, o, p, v) => {
    const asBuild = (x: YamlValue): YamlMap => (typeof x === 'string' ? { context: x } : isYamlMap(x) ? x : {});
    return mergeMappings(asBuild(b), asBuild(o), p, v);
  },
  logging: (b, o, p, v) => {
    if (!isYamlMap(b) || !isYamlMap(o)) return o;
    // Options are merged only when both name the same driver (or one names none).
    return !('driver' in o) || !('driver' in b) || o.driver === b.driver ? mergeMappings(b, o, p, v) : o;
  },
  extra_hosts: (b, o, _p, v) => {
    const base = toSequence(b, v);
    const over = toSequence(o, v).filter((x) => !base.includes(x));
    return appendLists(base, over, v);
  },
};

function mergeYaml(base: YamlValue, over: YamlValue, path: Path, values: YamlValues): YamlValue {
  if (OVERRIDE.has(path) || /^ulimits\.[^.]+$/.test(path)) return over;
  if (TO_SEQUENCE.has(path)) return appendLists(toSequence(base, values), toSequence(over, values), values);
  const special = SPECIAL[path];
  if (special) return special(base, over, path, values);
  if (over === null) return base;
  if (isYamlMap(base) && isYamlMap(over)) return mergeMappings(base, over, path, values);
  if (Array.isArray(base) && Array.isArray(over)) return appendLists(base, over, values);
  return over;
}

function mergeMappings(base: YamlMap, over: YamlMap, path: Path, values: YamlValues): YamlMap {
  for (const [k, v] of Object.entries(over)) {
    const next = path ? `${path}.${k}` : k;
    const before = base[k];
    const merged = k in base ? mergeYaml(before ?? null, v, next, values) : v;
    base[k] = merged;
    // A mapping merged in place keeps where it was first written; anything else is the override's.
    if (merged !== before) values.copy(over, k, base, k);
  }
  return base;
}

/**
 * `over` merged onto `base`, as `extends` (base = the extended service) and override files do.
 * `base` is modified: pass a clone ({@link cloneValue}) when it is shared.
 */
export function mergeService(base: YamlMap, over: YamlMap, values: YamlValues): YamlMap {
  return mergeMappings(base, over, '', values);
}

/** The key compose-go dedupes a list entry by, per list (`override/uncity.go`). */
function indexer(path: Path): ((entry: YamlValue) => string) | undefined {
  const text = (entry: YamlValue) =>
    entry === null || typeof entry === 'object' ? JSON.stringify(entry) : String(entry);
  switch (path) {
    case 'environment':
    case 'labels':
    case 'annotations':
    case 'sysctls':
    case 'tmpfs':
    case 'dns':
    case 'dns_opt':
    case 'dns_search':
    case 'profiles':
    case 'cap_add':
    case 'cap_drop':
    case 'links':
    case 'build.args':
    case 'build.labels':
    case 'deploy.labels':
      return (e) => text(e).split('=')[0] ?? '';
    case 'env_file':
      return (e) => (isYamlMap(e) ? text(e.path ?? null) : text(e));
    case 'ports':
      return (e) =>
        isYamlMap(e)
          ? `${text(e.host_ip ?? '0.0.0.0')}:${text(e.published ?? null)}:${text(e.target ?? null)}/${text(e.protocol ?? 'tcp')}`
          : text(e);
    case 'volumes':
      return (e) => {
        if (isYamlMap(e)) return text(e.target ?? null);
        const parts = text(e).split(':');
        return parts.length > 1 ? (parts[1] ?? '') : (parts[0] ?? '');
      };
    default:
      return undefined;
  }
}

function unique(list: YamlValue[], key: (entry: YamlValue) => string, values: YamlValues): YamlValue[] {
  const out: YamlValue[] = [];
  const at = new Map<string, number>();
  list.forEach((entry, i) => {
    const k = key(entry);
    const j = at.get(k);
    // A redefinition replaces the first entry in place, as compose does.
    const index = j ?? out.length;
    if (j === undefined) at.set(k, index);
    out[index] = entry;
    values.copy(list, i, out, index);
  });
  return out;
}

/** Removes redefinitions inside a service's lists (a later entry wins, at the earlier one's place). */
export function enforceUnicity(service: YamlMap, values: YamlValues): void {
  const visit = (map: YamlMap, prefix: string) => {
    for (const [k, v] of Object.entries(map)) {
      const path = prefix ? `${prefix}.${k}` : k;
      const key = Array.isArray(v) ? indexer(path) : undefined;
      if (Array.isArray(v) && key && v.length > 1) map[k] = unique(v, key, values);
      else if (isYamlMap(v) && (k === 'build' || k === 'deploy')) visit(v, path);
    }
  };
  visit(service, '');
}
