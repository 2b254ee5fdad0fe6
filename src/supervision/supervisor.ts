import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { systemClock, type Clock } from './clock.js';
import { fileTail, processStart } from './process.js';
import { restartDelay } from './backoff.js';
import { RotatingLog } from './rotating-log.js';
import { writeRunRecord, type RunRecord } from './run-file.js';

export type SupervisorEvent =
  | { type: 'spawn'; service: string; pid: number; restarts: number }
  | { type: 'exit'; service: string; code: number | null; signal: string | null; uptimeMs: number; crash: boolean }
  | { type: 'restart'; service: string; delayMs: number; crashStreak: number }
  | { type: 'gave-up'; service: string; crashes: number; tail: string[] }
  /** The run record could not be written (a full disk): supervision goes on, `ps` is behind until a write succeeds. */
  | { type: 'record-failed'; service: string; error: string };

/** How often a run record that could not be written (a full disk) is tried again. */
const RECORD_RETRY_MS = 1000;

export interface SupervisorOptions {
  service: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  projectDir: string;
  logFile: string;
  /** A run shorter than this counts as a crash. @default 1000 */
  minUptimeMs?: number;
  /**
   * A run that exits with a failure code (not a signal, not 0) sooner than this also counts as a
   * crash — Docker's "10 s to count as started": a server that fails at start on a slow machine
   * (1–4 s to load and fail) is still given up on. @default 10000
   */
  startupWindowMs?: number;
  /** Crashes in a row before giving up. @default 10 */
  maxCrashes?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  /** How long a stop waits for the process before SIGKILL. @default 15000 */
  stopTimeoutMs?: number;
  /** What stop() sends (PostgreSQL: SIGINT, its fast shutdown). @default 'SIGTERM' */
  stopSignal?: NodeJS.Signals;
  /** Run the process as this user and group (the embedded PostgreSQL as `postgres` when root). */
  uid?: number;
  gid?: number;
  /**
   * The process writes its output to the log file itself (an append descriptor) rather than through
   * this supervisor: its log goes on if the supervisor dies (a server that outlives it). No rotation.
   * @default false
   */
  logDirect?: boolean;
  clock?: Clock;
  onEvent?: (event: SupervisorEvent) => void;
  /** Extra facts for the run record (`ps`). */
  record?: Pick<RunRecord, 'port' | 'mode'>;
}

/**
 * `restart: always` for one process (SPEC §3 step 5): output to a rotating log file, restart with
 * exponential backoff, a run under `minUptimeMs` counts as a crash, give up after `maxCrashes` in a
 * row. Its state is kept in `.difyctl/run/<service>.json` for `ps`, `down` and `doctor`.
 */
export class Supervisor {
  private child?: ResultPromise;
  private stopping = false;
  private wake?: () => void;
  private readonly log: RotatingLog;
  private readonly clock: Clock;
  private readonly record: RunRecord;
  /** Resolves when supervision ends: stopped on request, or gave up. */
  readonly done: Promise<'stopped' | 'gave-up'>;
  private finish!: (how: 'stopped' | 'gave-up') => void;
  private finished = false;
  private writes: Promise<void> = Promise.resolve();
  private retry?: NodeJS.Timeout;
  private unwritten = false;

  constructor(private readonly options: SupervisorOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = new RotatingLog({ file: options.logFile });
    this.record = {
      service: options.service,
      supervisorPid: process.pid,
      state: 'starting',
      restarts: 0,
      crashStreak: 0,
      startedAt: new Date(this.clock.now()).toISOString(),
      logFile: options.logFile,
      ...options.record,
    };
    this.done = new Promise((resolve) => {
      this.finish = (how) => {
        // Supervision is over: no retry may write its record after `down` removed it.
        this.finished = true;
        clearTimeout(this.retry);
        resolve(how);
      };
    });
  }

  get pid(): number | undefined {
    return this.record.pid;
  }

  get restarts(): number {
    return this.record.restarts;
  }

  private emit(event: SupervisorEvent): void {
    this.options.onEvent?.(event);
  }

  /**
   * Never throws: a record that cannot be written (a full disk) must not end supervision. It is
   * written again every second until that succeeds, so `ps` and `down` catch up once there is space.
   */
  private save(change: Partial<RunRecord>): Promise<void> {
    Object.assign(this.record, change);
    // One write at a time, each of the record as it is then: a late retry never overwrites a newer state.
    this.writes = this.writes.then(() => this.write());
    return this.writes;
  }

  private async write(): Promise<void> {
    clearTimeout(this.retry);
    this.retry = undefined;
    try {
      await writeRunRecord(this.options.projectDir, this.record);
      this.unwritten = false;
    } catch (error) {
      if (!this.unwritten)
        this.emit({ type: 'record-failed', service: this.options.service, error: (error as Error).message });
      this.unwritten = true;
      if (this.finished) return;
      this.retry = setTimeout(() => void this.save({}), RECORD_RETRY_MS);
      this.retry.unref();
    }
  }

  /**
   * The process's stdin is a pipe this supervisor holds and never writes: it closes when the
   * supervisor is gone, however it went (kill -9 included), so the process can follow it down.
   * Not async: the result is a promise of the process's end, which an async function would await.
   */
  private spawn(): ResultPromise {
    const { options } = this;
    const stopSignal = options.stopSignal ?? 'SIGTERM';
    const common = {
      env: options.env,
      extendEnv: false,
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      stdin: 'pipe',
      buffer: false,
      reject: false,
      killSignal: stopSignal,
      forceKillAfterDelay: options.stopTimeoutMs ?? 15_000,
    } as const;
    if (!options.logDirect) {
      const child = execa(options.command, options.args, { ...common, all: true });
      child.all?.on('data', (chunk: Buffer) => void this.log.write(chunk).catch(() => undefined));
      return child;
    }
    mkdirSync(path.dirname(options.logFile), { recursive: true });
    const log = { file: options.logFile, append: true } as const;
    return execa(options.command, options.args, { ...common, stdout: log, stderr: log });
  }

  /** Starts the first process and keeps it running until stop() or too many crashes. */
  start(): void {
    void this.loop();
  }

  private async loop(): Promise<void> {
    const { minUptimeMs = 1000, maxCrashes = 10 } = this.options;
    this.record.supervisorStart = await processStart(process.pid);
    while (!this.stopping) {
      const started = this.clock.now();
      const child = this.spawn();
      this.child = child;
      if (child.pid) {
        await this.save({
          pid: child.pid,
          pidStart: await processStart(child.pid),
          state: 'running',
          runningSince: new Date(started).toISOString(),
        });
        this.emit({ type: 'spawn', service: this.options.service, pid: child.pid, restarts: this.record.restarts });
      }
      const result = await child;
      this.child = undefined;
      const uptimeMs = this.clock.now() - started;
      const signal = result.signal ?? null;
      const code = result.exitCode ?? null;
      const failedAtStart = code !== null && code !== 0 && uptimeMs < (this.options.startupWindowMs ?? 10_000);
      const crash = uptimeMs < minUptimeMs || failedAtStart;
      this.emit({ type: 'exit', service: this.options.service, code, signal, uptimeMs, crash });
      const lastExit = { code, signal, at: new Date(this.clock.now()).toISOString() };
      if (this.stopping) {
        await this.save({ pid: undefined, pidStart: undefined, state: 'stopped', lastExit });
        break;
      }
      const crashStreak = crash ? this.record.crashStreak + 1 : 0;
      if (crashStreak >= maxCrashes) {
        await this.log.close();
        const tail = await fileTail(this.options.logFile, 30);
        await this.save({ pid: undefined, pidStart: undefined, state: 'gave-up', crashStreak, lastExit });
        this.emit({ type: 'gave-up', service: this.options.service, crashes: crashStreak, tail });
        this.finish('gave-up');
        return;
      }
      const delayMs = restartDelay(crashStreak, this.options.backoff);
      await this.save({
        pid: undefined,
        pidStart: undefined,
        state: 'backoff',
        crashStreak,
        restarts: this.record.restarts + 1,
        lastExit,
      });
      this.emit({ type: 'restart', service: this.options.service, delayMs, crashStreak });
      if (delayMs > 0)
        await Promise.race([this.clock.sleep(delayMs), new Promise<void>((resolve) => (this.wake = resolve))]);
    }
    await this.log.close();
    this.finish('stopped');
  }

  /** The stop signal (SIGTERM: graceful drain in `serve`), SIGKILL after the timeout; resolves when supervision ended. */
  async stop(signal: NodeJS.Signals = this.options.stopSignal ?? 'SIGTERM'): Promise<'stopped' | 'gave-up'> {
    this.stopping = true;
    this.wake?.();
    this.child?.kill(signal);
    return this.done;
  }
}
