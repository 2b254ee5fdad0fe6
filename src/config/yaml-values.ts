import { isAlias, isMap, isNode, isPair, isScalar, isSeq, type Document, type Node, type Scalar } from 'yaml';
import type { ComposeScope } from './compose-scope.js';
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';

/** Where a value came from in the YAML file, and which variable (if any) supplied it. */
export interface ValueOrigin {
  /** Character offset of the value node in the file. */
  offset: number;
  /** Set when the scalar's interpolation took its value from exactly one variable that is set. */
  variable?: string;
  /** The file (and its variables and directory) the value was written in. */
  scope?: ComposeScope;
  /** Character offset of the key, for a mapping entry. */
  keyOffset?: number;
}

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };
export type YamlMap = { [key: string]: YamlValue };

export const isYamlMap = (v: YamlValue | undefined): v is YamlMap =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An interpolation failure with the file offset it points to. */
export class LocatedInterpolationError extends Error {
  constructor(
    readonly error: InterpolationError,
    readonly offset: number,
  ) {
    super(error.message);
  }
}

/** JS values converted from the YAML AST, with each map entry's and list item's origin. */
export class YamlValues {
  private readonly origins = new WeakMap<object, Map<string | number, ValueOrigin>>();

  origin(container: object, key: string | number): ValueOrigin | undefined {
    return this.origins.get(container)?.get(key);
  }

  record(container: object, key: string | number, origin: ValueOrigin): void {
    let map = this.origins.get(container);
    if (!map) this.origins.set(container, (map = new Map()));
    map.set(key, origin);
  }

  /** Gives every entry of a (shallow) copy the origins of the original's. */
  copyAll(from: object, to: object): void {
    const map = this.origins.get(from);
    if (map) for (const [key, origin] of map) this.record(to, key, origin);
  }

  /** Gives an entry copied into another container the origin of the original. */
  copy(from: object, fromKey: string | number, to: object, toKey: string | number): void {
    const origin = this.origin(from, fromKey);
    if (origin) this.record(to, toKey, origin);
  }
}

function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const v = key.value;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<');
}

/** Offset of the first character of a scalar's content (after an opening quote). */
function contentOffset(node: Scalar): number {
  const start = node.range?.[0] ?? 0;
  return node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? start + 1 : start;
}

/**
 * Converts a parsed compose document to plain values, interpolating every string scalar (values,
 * not keys, as compose does), resolving aliases and `<<` merge keys (explicit keys win over merged
 * ones; earlier merge sources win over later ones), and recording origins for locations.
 */
export function toValues(
  doc: Document,
  lookup: Lookup,
  options: { values?: YamlValues; scope?: ComposeScope } = {},
): { root: YamlValue; values: YamlValues } {
  const values = options.values ?? new YamlValues();
  const { scope } = options;
  const cache = new Map<Node, YamlValue>();

  const scalar = (node: Scalar): { value: YamlValue; origin: ValueOrigin } => {
    const offset = node.range?.[0] ?? 0;
    const v = node.value;
    if (typeof v !== 'string') {
      // Keep numbers as written (1.0 stays "1.0" once stringified), as compose-go's YAML does.
      if (typeof v === 'number' && node.source !== undefined) return { value: node.source, origin: { offset, scope } };
      return { value: (v ?? null) as YamlValue, origin: { offset, scope } };
    }
    const used: Array<{ name: string; found: boolean }> = [];
    const recording: Lookup = (name) => {
      const found = lookup(name);
      used.push({ name, found: found !== undefined });
      return found;
    };
    try {
      const value = interpolate(v, recording);
      const single = used.length === 1 && used[0]?.found ? used[0].name : undefined;
      return { value, origin: { offset, variable: single, scope } };
    } catch (error) {
      if (error instanceof InterpolationError) {
        // Offsets map one-to-one onto plain and single-line quoted scalars; elsewhere point at the node.
        const exact =
          node.type === 'PLAIN' ||
          ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && !v.includes('\n'));
        throw new LocatedInterpolationError(error, exact ? contentOffset(node) + error.offset : offset);
      }
      throw error;
    }
  };

  const convert = (node: unknown): { value: YamlValue; origin: ValueOrigin } => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      return { value: target ? convertCached(target) : null, origin: { offset: node.range?.[0] ?? 0, scope } };
    }
    if (isScalar(node)) return scalar(node);
    const offset = (node as Node | null)?.range?.[0] ?? 0;
    if (isSeq(node)) {
      const list: YamlValue[] = [];
      node.items.forEach((item) => {
        const { value, origin } = convert(item);
        values.record(list, list.length, origin);
        list.push(value);
      });
      return { value: list, origin: { offset, scope } };
    }
    if (isMap(node)) {
      const obj: { [key: string]: YamlValue } = {};
      const merges: unknown[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        if (isMergeKey(pair.key)) {
          merges.push(pair.value);
          continue;
        }
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const { value, origin } = convert(pair.value);
        obj[key] = value;
        values.record(obj, key, {
          ...origin,
          keyOffset: isNode(pair.key) ? (pair.key.range?.[0] ?? origin.offset) : origin.offset,
        });
      }
      for (const source of merges) {
        const sources = isSeq(source) ? source.items : [source];
        for (const s of sources) {
          const merged = convert(s).value;
          if (merged === null || typeof merged !== 'object' || Array.isArray(merged)) continue;
          for (const [k, v] of Object.entries(merged)) {
            if (k in obj) continue;
            obj[k] = v;
            const o = values.origin(merged, k);
            if (o) values.record(obj, k, o);
          }
        }
      }
      return { value: obj, origin: { offset, scope } };
    }
    return { value: null, origin: { offset, scope } };
  };

  // An anchored node may be aliased hundreds of times: convert it once.
  const convertCached = (node: Node): YamlValue => {
    const hit = cache.get(node);
    if (hit !== undefined) return hit;
    const { value } = convert(node);
    cache.set(node, value);
    return value;
  };

  const root = doc.contents ? convert(doc.contents).value : null;
  return { root, values };
}
