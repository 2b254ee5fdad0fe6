import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { tcpAnswers } from '../../src/stack/ready/tcp.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function projectWithEnv(lines: string[]): Promise<string> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  await writeFile(path.join(dir, '.env'), `${lines.join('\n')}\n`);
  return dir;
}

const BASE = [
  'DEPLOY_ENV=PRODUCTION',
  'SECRET_KEY=0123456789abcdef0123456789abcdef-fresh',
  'VECTOR_STORE=pgvector',
  'PGVECTOR_HOST=127.0.0.1',
];

async function doctor(dir: string, only: string[]) {
  const result = await runCli(['doctor', '--json', '--only', ...only], { cwd: dir });
  const doc = JSON.parse(result.stdout);
  const byId = Object.fromEntries(doc.data.checks.map((c: { id: string }) => [c.id, c]));
  return { result, doc, byId };
}

async function listen(server: net.Server | http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

describe('difyctl doctor', () => {
  it('reports the sample SECRET_KEY in PRODUCTION with the fix, while the other checks still report', async () => {
    const port = await getPort();
    const dir = await projectWithEnv([
      'DEPLOY_ENV=PRODUCTION',
      'SECRET_KEY=sk-9f73s3ljTXVcMT3Blb3ljTqtsKiGHXVcMT3BlbkFJLK7U',
      `DIFY_PORT=${port}`,
      'VECTOR_STORE=pgvector',
      'PGVECTOR_HOST=127.0.0.1',
    ]);
    // (vector probes the configured store: test/integration/doctor-vector.test.ts)
    const { result, byId } = await doctor(dir, ['config', 'ports', 'performance']);
    expect(result.exitCode).toBe(1);
    expect(byId.config).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('SECRET_KEY is the sample value'),
      fix: expect.stringContaining('openssl rand'),
    });
    expect(byId.ports.status).toBe('ok');
    expect(byId.performance.status).toBe('ok');
    expect(result.stdout).not.toContain('sk-9f73s3ljTXVcMT3Blb3ljTqtsKiGHXVcMT3BlbkFJLK7U');
  });

  it('names the process holding DIFY_PORT', async () => {
    const port = await listen(net.createServer());
    const dir = await projectWithEnv([...BASE, `DIFY_PORT=${port}`]);
    const { result, byId } = await doctor(dir, ['ports', 'config']);
    expect(result.exitCode).toBe(1);
    expect(byId.ports).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining(`port ${port} (DIFY_PORT) is taken by pid ${process.pid}`),
      fix: expect.stringContaining('DIFY_PORT'),
    });
    expect(byId.config.status).toBe('ok');
  });

  it('names a port holder without printing the secrets on its command line', async () => {
    const port = await getPort();
    // argv[0] set by `exec -a`: the secrets come first, where the finding shows the command line.
    const holder = spawn(
      'bash',
      [
        '-c',
        `exec -a "redis-server --requirepass hunter2 redis://:hunter3@h" "${process.execPath}" -e 'net.Server().listen(+process.argv[1], "127.0.0.1")' ${port}`,
      ],
      { stdio: 'ignore' },
    );
    cleanups.push(() => void holder.kill('SIGKILL'));
    while (!(await tcpAnswers({ host: '127.0.0.1', port, timeoutMs: 200 })))
      await new Promise((r) => setTimeout(r, 20));
    const dir = await projectWithEnv([...BASE, `DIFY_PORT=${port}`]);
    const { byId, result } = await doctor(dir, ['ports']);
    expect(byId.ports).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining(`taken by pid ${holder.pid} (redis-server --requirepass ***`),
    });
    expect(result.stdout).not.toMatch(/hunter[23]/);
  });

  it('tells a Weaviate that rejects the key from one that is unreachable', async () => {
    const rejecting = await listen(
      http.createServer((req, res) => {
        res.writeHead(req.headers.authorization === 'Bearer right' ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ version: '1.19.0' }));
      }),
    );
    const weaviate = (key: string, endpoint: string) =>
      projectWithEnv([
        ...BASE.filter((l) => !l.startsWith('VECTOR_STORE')),
        'VECTOR_STORE=weaviate',
        `WEAVIATE_ENDPOINT=${endpoint}`,
        `WEAVIATE_API_KEY=${key}`,
      ]);

    const wrongKey = await doctor(await weaviate('wrong', `http://127.0.0.1:${rejecting}`), ['vector']);
    expect(wrongKey.result.exitCode).toBe(1);
    expect(wrongKey.byId.vector).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('rejects WEAVIATE_API_KEY (HTTP 401)'),
      fix: expect.stringContaining('WEAVIATE_API_KEY'),
    });

    const rightKey = await doctor(await weaviate('right', `http://127.0.0.1:${rejecting}`), ['vector']);
    expect(rightKey.result.exitCode).toBe(0);
    expect(rightKey.byId.vector).toMatchObject({ status: 'ok', finding: expect.stringContaining('Weaviate 1.19.0') });

    const closed = await getPort();
    const refused = await doctor(await weaviate('right', `http://127.0.0.1:${closed}`), ['vector']);
    expect(refused.byId.vector).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('connection refused'),
      fix: expect.stringContaining('WEAVIATE_ENDPOINT'),
    });
    expect(refused.result.stdout).not.toContain('right');

    // A password inside the endpoint never reaches the output.
    const withPassword = await doctor(await weaviate('right', `http://admin:hunter2-secret@127.0.0.1:${closed}`), [
      'vector',
    ]);
    expect(withPassword.byId.vector).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('connection refused'),
    });
    expect(withPassword.result.stdout).not.toContain('hunter2-secret');
  });

  it('prints brew-doctor marks and a summary in text mode', async () => {
    const dir = await projectWithEnv([...BASE, `DIFY_PORT=${await getPort()}`]);
    const result = await runCli(['doctor', '--only', 'config', 'performance'], { cwd: dir });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^\[✓\] config /m);
    expect(result.stdout).toMatch(/^\[✓\] performance /m);
    expect(result.stdout).toMatch(/2 ok, 0 warnings, 0 failed in \d+ ms/);
  });

  it('refuses an unknown check id', async () => {
    const dir = await projectWithEnv(BASE);
    const result = await runCli(['doctor', '--only', 'nonsense'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('unknown check nonsense');
  });

  it('warns about CRLF line endings and literal quotes in values', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    await writeFile(path.join(dir, '.env'), `${BASE.join('\r\n')}\r\n`);
    const crlf = await doctor(dir, ['config']);
    expect(crlf.byId.config).toMatchObject({ status: 'warn', finding: expect.stringContaining('CRLF') });
    const quoted = await projectWithEnv([...BASE, `CONSOLE_API_URL='"http://localhost"'`]);
    const q = await doctor(quoted, ['config']);
    expect(q.byId.config).toMatchObject({
      status: 'warn',
      finding: expect.stringContaining('CONSOLE_API_URL holds literal quotes'),
    });
  });
});
