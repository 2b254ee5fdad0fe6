/** Runs `difyctl serve` as a process (the built CLI) for the server process tests. */
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { BIN, baseEnv } from '../helpers/cli.js';

export interface ServedProcess {
  url: string;
  child: ResultPromise;
  /** Everything the process wrote to stderr/stdout so far. */
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  options: { timeoutMs: number; what: string; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

export async function health(
  url: string,
): Promise<{ status: number; body: { status: string; pid: number; db: string; redis: string } }> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) });
  return { status: res.status, body: (await res.json()) as { status: string; pid: number; db: string; redis: string } };
}

export async function serve(options: {
  env: Record<string, string>;
  args?: string[];
  cwd?: string;
  readyTimeoutMs?: number /** Own process group, so a test can signal it like a terminal's Ctrl-C. */;
  detached?: boolean;
}): Promise<ServedProcess> {
  const port = await getPort({ host: '127.0.0.1' });
  const child = execa(process.execPath, [BIN, 'serve', ...(options.args ?? ['--mode', 'api'])], {
    env: { ...baseEnv(), NO_COLOR: '1', DIFY_BIND_ADDRESS: '127.0.0.1', DIFY_PORT: String(port), ...options.env },
    extendEnv: false,
    reject: false,
    all: true,
    cwd: options.cwd,
    stdin: 'ignore',
    detached: options.detached ?? false,
  });
  let out = '';
  child.all?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const served: ServedProcess = {
    url,
    child,
    output: () => out,
    waitForOutput: (pattern, timeoutMs = 10_000) =>
      waitFor(async () => (pattern.test(out) ? true : undefined), { timeoutMs, what: `output ${pattern}` }).then(
        () => {},
      ),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await child;
        clearTimeout(timer);
      }
    },
  };
  if (options.args?.includes('worker')) return served;
  try {
    await waitFor(async () => ((await health(url)).status === 200 ? true : undefined), {
      timeoutMs: options.readyTimeoutMs ?? 20_000,
      what: `GET ${url}/health → 200\n${out}`,
    });
  } catch (error) {
    await served.stop();
    throw new Error(`${(error as Error).message}\n${out}`);
  }
  return served;
}
