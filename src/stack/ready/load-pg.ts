import { createRequire } from 'node:module';
import type pg from 'pg';

const require = createRequire(import.meta.url);

/**
 * The `pg` module, loaded once. At import, pg asks whether it runs in a Cloudflare Worker: without a
 * global `navigator` (Node 20 has none; Node ≥ 21 has `navigator.userAgent = 'Node.js/…'`) it
 * constructs a fetch `Response` to find out, which loads Node's whole fetch implementation — about
 * 0.1 s of CPU on every `up` that waits for a database. During that one synchronous require,
 * difyctl shows it the `navigator` newer Nodes have; nothing else runs in between.
 */
export function loadPg(): typeof pg {
  const global = globalThis as { navigator?: unknown };
  if (global.navigator !== undefined) return require('pg') as typeof pg; // pg's CommonJS export
  global.navigator = { userAgent: `Node.js/${process.versions.node.split('.')[0]}` };
  try {
    return require('pg') as typeof pg;
  } finally {
    delete global.navigator;
  }
}
