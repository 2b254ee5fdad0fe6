#!/usr/bin/env node
// Tiny launcher: everything lives in the compiled CLI. `--version` alone is answered here, from
// package.json, before commander and the command registry load (startup goal: ≤1.5× `node -e 0`).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv);
}
