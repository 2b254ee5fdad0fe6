import type pg from 'pg';

let loading: Promise<typeof pg> | undefined;

/**
 * The `pg` module, loaded once. At import, pg asks whether it runs in a Cloudflare Worker: without a
 * global `navigator` (Node 20 has none; Node >= 21 has `navigator.userAgent = 'Node.js/…'`) it
 * constructs a fetch `Response` to find out, which loads Node's whole fetch implementation: 0.2-0.3 s
 * on every `up` that waits for a database. While pg loads, difyctl shows it the `navigator` newer
 * Nodes have (only when there is none), then takes it away again.
 */
export function loadPg(): Promise<typeof pg> {
  loading ??= (async () => {
    const global = globalThis as { navigator?: unknown };
    const lent = global.navigator === undefined;
    if (lent) global.navigator = { userAgent: `Node.js/${process.versions.node.split('.')[0]}` };
    try {
      return (await import('pg')).default;
    } finally {
      if (lent) delete global.navigator;
    }
  })();
  return loading;
}
