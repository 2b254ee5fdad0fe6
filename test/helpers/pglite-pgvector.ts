/**
 * The real pgvector for tests: PGlite (PostgreSQL compiled to WASM) with its `vector` extension,
 * served over the wire protocol by @electric-sql/pglite-socket's `pglite-server`, in a child process
 * (its queries run synchronously in WASM and would stall this process's event loop).
 *
 *   const pgv = await startPgvector();        // a few seconds: PGlite boots in memory
 *   settings: { ...pgv.env }                  // VECTOR_STORE=pgvector, PGVECTOR_HOST/PORT/USER/PASSWORD/DATABASE
 *   await pgv.stop();
 *
 * - PGlite is one PostgreSQL session: pglite-server multiplexes at most `maxConnections` client
 *   connections onto it (further connections are refused) and queues their queries one at a time —
 *   transactions of different connections are NOT isolated from each other. `env` therefore sets
 *   PGVECTOR_MAX_CONNECTION=1 (one connection per process), and the default `maxConnections` (4)
 *   leaves room for an api, a worker and a test's own client.
 * - In memory: nothing to clean up but the process; an exit hook kills it if a test dies first.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface TestPgvector {
  host: string;
  port: number;
  /** What difyctl reads for VECTOR_STORE=pgvector. */
  env: Record<string, string>;
  /** postgres://postgres:postgres@127.0.0.1:port/postgres */
  url: string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
// The package exports its entry (dist/index.*), not its bin script beside it: dist/scripts/server.js.
const SERVER_SCRIPT = path.join(path.dirname(require.resolve('@electric-sql/pglite-socket')), 'scripts/server.js');

export async function startPgvector(
  options: { maxConnections?: number; timeoutMs?: number } = {},
): Promise<TestPgvector> {
  const child = spawn(
    process.execPath,
    [
      SERVER_SCRIPT,
      '--db=memory://',
      '--host=127.0.0.1',
      '--port=0',
      '--extensions=vector',
      `--max-connections=${options.maxConnections ?? 4}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pglite-server did not listen within ${options.timeoutMs ?? 60_000} ms:\n${output}`)),
      options.timeoutMs ?? 60_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /listening on (\{.*\})/.exec(output);
      if (!listening) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve((JSON.parse(listening[1]!) as { port: number }).port);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pglite-server exited (${code}) before listening:\n${output}`));
    });
  }).catch((error: unknown) => {
    kill();
    throw error;
  });
  const host = '127.0.0.1';
  return {
    host,
    port,
    url: `postgres://postgres:postgres@${host}:${port}/postgres`,
    env: {
      VECTOR_STORE: 'pgvector',
      PGVECTOR_HOST: host,
      PGVECTOR_PORT: String(port),
      PGVECTOR_USER: 'postgres',
      PGVECTOR_PASSWORD: 'postgres',
      PGVECTOR_DATABASE: 'postgres',
      PGVECTOR_MIN_CONNECTION: '1',
      PGVECTOR_MAX_CONNECTION: '1',
    },
    stop: async () => {
      process.off('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(kill, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
