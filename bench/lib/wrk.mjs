// wrk as a child process, without blocking the caller's event loop (a stand-in may live in it).
import { spawn } from 'node:child_process';

/** The median of a list of numbers (the upper one of an even list's two middles). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const UNIT = { us: 0.001, ms: 1, s: 1000 };

/** Runs `wrk ...args` (pass --latency for percentiles): req/s, p50/p99 ms, non-2xx and socket errors. */
export function wrk(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', () => {
      const at = (p) => {
        const m = new RegExp(`${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
        return m ? Number(m[1]) * UNIT[m[2]] : NaN;
      };
      resolve({
        rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
        requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
        p50: at(50),
        p99: at(99),
        non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
        errors: /Socket errors: (.*)/.exec(out)?.[1] ?? 'none',
      });
    });
  });
}
