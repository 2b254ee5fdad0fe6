import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { restartDelay } from '../../src/supervision/backoff.js';
import { RotatingLog } from '../../src/supervision/rotating-log.js';
import { readRunRecord } from '../../src/supervision/run-file.js';
import { Supervisor, type SupervisorEvent } from '../../src/supervision/supervisor.js';
import { tempDir } from '../helpers/cli.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('restart backoff', () => {
  it('restarts at once after a healthy run and doubles per crash, capped', () => {
    expect(restartDelay(0)).toBe(0);
    expect([1, 2, 3, 4, 5].map((n) => restartDelay(n))).toEqual([100, 200, 400, 800, 1600]);
    expect(restartDelay(20)).toBe(2000);
  });
});

describe('rotating log', () => {
  it('rotates to .1 past the size and keeps writing', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const file = path.join(dir, 'api.log');
    const log = new RotatingLog({ file, maxBytes: 10 });
    await log.write('12345678\n');
    await log.write('abcdefgh\n');
    await log.close();
    expect(await readFile(`${file}.1`, 'utf8')).toBe('12345678\n');
    expect(await readFile(file, 'utf8')).toBe('abcdefgh\n');
  });
});

describe('supervisor (real processes)', () => {
  async function supervise(script: string, options: { maxCrashes?: number; minUptimeMs?: number } = {}) {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const events: SupervisorEvent[] = [];
    const supervisor = new Supervisor({
      service: 'api',
      command: process.execPath,
      args: ['-e', script],
      env: { PATH: process.env.PATH },
      cwd: dir,
      projectDir: dir,
      logFile: path.join(dir, '.difyctl', 'logs', 'api.log'),
      maxCrashes: options.maxCrashes ?? 10,
      minUptimeMs: options.minUptimeMs,
      backoff: { initialMs: 10, maxMs: 40 },
      stopTimeoutMs: 2000,
      onEvent: (e) => events.push(e),
    });
    cleanups.push(async () => void (await supervisor.stop('SIGKILL')));
    supervisor.start();
    return { dir, supervisor, events };
  }

  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise((r) => setTimeout(r, 20));
  };

  it('counts a run that fails with an exit code within the startup window as a crash, however long it took', async () => {
    // 1.2 s per run: past minUptimeMs (1 s), as a server that loads slowly and then fails.
    const { supervisor, events } = await supervise(
      "setTimeout(() => { console.error('Error: fails at start'); process.exit(1); }, 1200)",
      { maxCrashes: 2 },
    );
    expect(await supervisor.done).toBe('gave-up');
    expect(events.filter((e) => e.type === 'exit').every((e) => e.type === 'exit' && e.crash)).toBe(true);
  });

  it('gives up after N crashes in a row, with the last log lines', async () => {
    const { dir, supervisor, events } = await supervise(
      "console.error('Error: bad CUSTOM_MIDDLEWARE_MODULE'); process.exit(3)",
      { maxCrashes: 3, minUptimeMs: 60_000 },
    ); // every run a crash, however slow the machine
    expect(await supervisor.done).toBe('gave-up');
    const gaveUp = events.find((e) => e.type === 'gave-up');
    expect(gaveUp).toMatchObject({ crashes: 3, tail: expect.arrayContaining(['Error: bad CUSTOM_MIDDLEWARE_MODULE']) });
    expect(events.filter((e) => e.type === 'spawn')).toHaveLength(3);
    expect(await readRunRecord(dir, 'api')).toMatchObject({ state: 'gave-up', crashStreak: 3, lastExit: { code: 3 } });
  });

  it('restarts a process killed with SIGKILL and counts the restart; stops gracefully', async () => {
    // minUptimeMs 0: every run counts as healthy, so a kill is restarted at once.
    const { dir, supervisor, events } = await supervise(
      "process.on('SIGTERM', () => { console.log('draining'); process.exit(0); }); console.log('up'); setInterval(() => {}, 1000)",
      { minUptimeMs: 0 },
    );
    const log = path.join(dir, '.difyctl', 'logs', 'api.log');
    const ups = async () => (await readFile(log, 'utf8').catch(() => '')).split('up\n').length - 1;
    const untilUps = async (n: number) => {
      while ((await ups()) < n) await new Promise((r) => setTimeout(r, 20));
    };
    await untilUps(1);
    const first = supervisor.pid;
    process.kill(first ?? 0, 'SIGKILL');
    await until(() => events.filter((e) => e.type === 'spawn').length === 2);
    await untilUps(2);
    expect(supervisor.pid).not.toBe(first);
    expect(events.find((e) => e.type === 'exit')).toMatchObject({ signal: 'SIGKILL', crash: false });
    expect((await readRunRecord(dir, 'api'))?.restarts).toBe(1);
    expect(await supervisor.stop()).toBe('stopped');
    expect(await readRunRecord(dir, 'api')).toMatchObject({ state: 'stopped', lastExit: { code: 0 } });
    expect(await readFile(path.join(dir, '.difyctl', 'logs', 'api.log'), 'utf8')).toMatch(/up\nup\ndraining\n/);
  });
});
