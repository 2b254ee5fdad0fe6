import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Scalar } from 'yaml';
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';

/** Where a value came from in the YAML file, and which variable (if any) supplied it. */
export interface ValueOrigin {
  /** Character offset of the value node in the file. */
  offset: number;
  /** Set when the scalar's interpolation took its value from exactly one variable that is set. */
  variable?: string;
}

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

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
export function toValues(doc: Document, lookup: Lookup): { root: YamlValue; values: YamlValues } {
  const values = new YamlValues();
  const cache = new Map<Node, YamlValue>();

  const scalar = (node: Scalar): { value: YamlValue; origin: ValueOrigin } => {
    const offset = node.range?.[0] ?? 0;
    const v = node.value;
    if (typeof v !== 'string') {
      // Keep numbers as written (1.0 stays "1.0" once stringified), as compose-go's YAML does.
      if (typeof v === 'number' && node.source !== undefined) return { value: node.source, origin: { offset } };
      return { value: (v ?? null) as YamlValue, origin: { offset } };
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
      return { value, origin: { offset, variable: single } };
    } catch (error) {
      if (error instanceof InterpolationError) {
        // Offsets map one-to-one onto plain and single-line quoted scalars; elsewhere point at the node.
        const exact = node.type === 'PLAIN' || ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && !v.includes('\n'));
        throw new LocatedInterpolationError(error, exact ? contentOffset(node) + error.offset : offset);
      }
      throw error;
    }
  };

  const convert = (node: unknown): { value: YamlValue; origin: ValueOrigin } => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      return { value: target ? convertCached(target) : null, origin: { offset: node.range?.[0] ?? 0 } };
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
      return { value: list, origin: { offset } };
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
        values.record(obj, key, origin);
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
      return { value: obj, origin: { offset } };
    }
    return { value: null, origin: { offset } };
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
