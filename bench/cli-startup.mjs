#!/usr/bin/env node
// Wall time of `difyctl --version` and `--help` against `node -e 0` (median of N runs).
// The commands run interleaved (one of each per round), so a machine busy with something else
// slows all three alike and the ratios stay meaningful.
// Usage: node bench/cli-startup.mjs [runs=20]   (build first: npm run build)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 20);
const bin = fileURLToPath(new URL('../bin/difyctl.js', import.meta.url));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const cases = [
  ['node -e 0', ['-e', '0']],
  ['difyctl --version', [bin, '--version']],
  ['difyctl --help', [bin, '--help']],
];
const samples = cases.map(() => []);
for (const [, args] of cases) execFileSync(process.execPath, args, { stdio: 'ignore' }); // warm the file cache
for (let i = 0; i < runs; i++) {
  cases.forEach(([, args], c) => {
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    samples[c].push(Number(process.hrtime.bigint() - start) / 1e6);
  });
}
const base = median(samples[0]);
console.log(`median of ${runs} interleaved runs, node ${process.version}`);
cases.forEach(([name], c) => {
  const ms = median(samples[c]);
  console.log(`${name.padEnd(20)} ${ms.toFixed(1).padStart(7)} ms  ${(ms / base).toFixed(2)}×`);
});
