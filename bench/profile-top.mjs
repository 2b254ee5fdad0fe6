#!/usr/bin/env node
// Summarises V8 CPU profiles (node --cpu-prof): the functions with the most self time, as a share
// of all samples, merged over every file given; `--by module` sums them per npm package, per file of
// difyctl's dist/ and per Node internal instead.
// `--busy` leaves out idle samples and those under module loading (start-up): shares of the time
// the process worked on requests.
// Usage: node bench/profile-top.mjs FILE... [--top N] [--by module] [--busy]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
const byAt = args.indexOf('--by');
const byModule = byAt >= 0 && args.splice(byAt, 2)[1] === 'module';
const busyAt = args.indexOf('--busy');
const busyOnly = busyAt >= 0 && args.splice(busyAt, 1).length === 1;
/** Whether a node runs under module loading (its own frame or an ancestor's is a loader's). */
const underLoader = (node, parentOf) => {
  for (let n = node; n; n = parentOf.get(n.id))
    if (/^node:internal\/(modules|bootstrap)|cjs-module-lexer/.test(n.callFrame.url)) return true;
  return false;
};
/** The package (scoped or not), the dist/ file, the node: internal, or the V8 pseudo-frame. */
const moduleOf = (url, functionName) => {
  if (!url) return `(${functionName || 'native'})`.replace(/^\(\((.*)\)\)$/, '($1)');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const dist = /\/dist\/(.*)$/.exec(url);
  return dist ? `dist/${dist[1]}` : url.replace(/^node:/, 'node:');
};
const self = new Map();
let total = 0;
for (const file of args) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, n] of counts) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    if (busyOnly && (functionName === '(idle)' || underLoader(byId.get(id), parentOf))) continue;
    const where = url
      ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`
      : '';
    const key = byModule ? moduleOf(url, functionName) : `${functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + n);
    total += n;
  }
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
for (const [key, n] of rows) console.log(`${((100 * n) / total).toFixed(1).padStart(5)} %  ${key}`);
console.log(`${total} samples in ${args.length} profile(s)`);
