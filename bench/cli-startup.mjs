#!/usr/bin/env node
// Wall time of `difyctl --version` and `--help` against `node -e 0` (median of N runs).
// Usage: node bench/cli-startup.mjs [runs=10]   (build first: npm run build)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 10);
const bin = fileURLToPath(new URL('../bin/difyctl.js', import.meta.url));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function time(args) {
  const samples = [];
  execFileSync(process.execPath, args, { stdio: 'ignore' }); // warm the file cache
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

const rows = [
  ['node -e 0', time(['-e', '0'])],
  ['difyctl --version', time([bin, '--version'])],
  ['difyctl --help', time([bin, '--help'])],
];
console.log(`median of ${runs} runs, node ${process.version}`);
for (const [name, ms] of rows) console.log(`${name.padEnd(20)} ${ms.toFixed(1)} ms`);
