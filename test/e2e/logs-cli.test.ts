import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, baseEnv, runCli, tempDir } from '../helpers/cli.js';
import { difyProject } from '../helpers/fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

const pino = (t: number, msg: string, level = 30) =>
  JSON.stringify({ level, time: 1764125170000 + t * 1000, pid: 1, msg });

async function projectWithLogs(): Promise<string> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const logs = path.join(dir, '.difyctl', 'logs');
  await mkdir(logs, { recursive: true });
  await writeFile(path.join(dir, '.env'), 'DEPLOY_ENV=DEVELOPMENT\nSECRET_KEY=x\n');
  await writeFile(
    path.join(logs, 'api.log'),
    `${[1, 3, 5, 7, 9, 11].map((t) => pino(t, `api line ${t}`)).join('\n')}\n`,
  );
  await writeFile(
    path.join(logs, 'worker.log'),
    `${[pino(2, 'worker ok'), pino(4, 'Error: task failed', 50), '    at run (task.js:1:1)', '    at next (queue.js:2:2)', pino(6, 'worker ok again'), pino(8, 'worker idle')].join('\n')}\n`,
  );
  return dir;
}

describe('difyctl logs', () => {
  it('prints the last N lines of a service', async () => {
    const dir = await projectWithLogs();
    const result = await runCli(['logs', 'api', '-n', '5'], { cwd: dir });
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^api \| .*api line 3/);
    expect(lines[4]).toContain('api line 11');
  });

  it('merges services in time order with prefixes', async () => {
    const dir = await projectWithLogs();
    const result = await runCli(['logs', '--no-log-prefix', '-n', '2'], { cwd: dir });
    const msgs = result.stdout
      .trim()
      .split('\n')
      .map((l) => (l.startsWith('{') ? JSON.parse(l).msg : l.trim()));
    expect(msgs).toEqual(
      ['worker ok again', 'worker idle', 'api line 9', 'api line 11'].sort((a, b) => order(a) - order(b)),
    );
    function order(m: string) {
      return { 'worker ok again': 6, 'worker idle': 8, 'api line 9': 9, 'api line 11': 11 }[m] ?? 0;
    }
  });

  it('greps with context lines after each match', async () => {
    const dir = await projectWithLogs();
    const result = await runCli(['logs', '--grep', 'Error', '-A', '2'], { cwd: dir });
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^worker \| .*Error: task failed/);
    expect(lines[1]).toContain('at run (task.js:1:1)');
    expect(lines[2]).toContain('at next (queue.js:2:2)');
  });

  it('takes compose service names (db_postgres in the newest Dify file) for the logical ones', async () => {
    const project = await difyProject('newest');
    cleanups.push(project.cleanup);
    await mkdir(path.join(project.dir, '.difyctl', 'logs'), { recursive: true });
    await writeFile(
      path.join(project.dir, '.difyctl', 'logs', 'db.log'),
      '2026-11-26 02:46:18.123 UTC [1] LOG:  database system is ready\n',
    );
    const result = await runCli(['logs', 'db_postgres'], { cwd: project.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^db \| .*database system is ready/m);
  });

  it('refuses an unknown service with the list of services', async () => {
    const dir = await projectWithLogs();
    const result = await runCli(['logs', 'nginx'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('no such service: nginx');
  });

  it('follows: a line appended after start is printed', async () => {
    const dir = await projectWithLogs();
    const child = execa(process.execPath, [BIN, 'logs', '-f', '-n', '0', 'api'], {
      cwd: dir,
      env: { ...baseEnv(), NO_COLOR: '1' },
      extendEnv: false,
      reject: false,
    });
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await child.catch(() => undefined);
    });
    let output = '';
    const seen = new Promise<void>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('fresh line')) resolve();
      });
    });
    // The follower starts from the file's end when it starts; write until it has surely started.
    const writer = setInterval(
      () => void appendFile(path.join(dir, '.difyctl', 'logs', 'api.log'), `${pino(20, 'fresh line')}\n`),
      200,
    );
    await seen.finally(() => clearInterval(writer));
    child.kill('SIGINT');
    const result = await child;
    expect(output).toMatch(/^api \| .*fresh line/m);
    expect(result.exitCode).toBe(130);
  });
});
