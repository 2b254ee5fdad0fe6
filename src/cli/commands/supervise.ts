import type { CommandDefinition } from '../types.js';

/**
 * What `difyctl up -d` leaves running for each of api/worker, and `up` for the embedded PostgreSQL:
 * a detached supervisor that keeps the process alive (restart: always) until `difyctl down` sends
 * it SIGTERM.
 */
export const superviseCommand: CommandDefinition = {
  path: ['__supervise'],
  summary: 'internal: supervise one service process (spawned by up)',
  hidden: true,
  configure: (cmd) =>
    cmd
      .requiredOption('--service <name>', 'api or worker')
      .option('--port <port>', 'the port it serves on, for ps')
      .option('--mode <mode>', 'its mode, for ps')
      .option('--stop-signal <signal>', 'what stops it gracefully', 'SIGTERM')
      .option('--stop-timeout <ms>', 'how long a stop waits before SIGKILL')
      .option('--uid <uid>', 'run it as this user')
      .option('--gid <gid>', 'run it as this group')
      .option('--log-direct', 'the process writes the log file itself (it outlives this supervisor)')
      .argument('<command...>', 'the command to keep running')
      .passThroughOptions(),
  run: async ({ global, env, args, options }) => {
    const path = await import('node:path');
    const { Supervisor } = await import('../../supervision/supervisor.js');
    const { logPath } = await import('../../supervision/paths.js');
    const [command, ...rest] = (args[0] as string[] | undefined) ?? [];
    if (!command) return { exitCode: 2 };
    const projectDir = path.resolve(global.projectDir);
    const service = String(options.service);
    const number = (value: unknown) => (value === undefined ? undefined : Number(value));
    // Our stderr is supervisor.log: on a full disk a failed write must not end supervision.
    process.stderr.on('error', () => undefined);
    const supervisor = new Supervisor({
      service,
      command,
      args: rest,
      env,
      cwd: projectDir,
      projectDir,
      logFile: logPath(projectDir, service),
      record: { port: options.port ? Number(options.port) : undefined, mode: options.mode as string | undefined },
      stopSignal: String(options.stopSignal) as NodeJS.Signals, // one of the names spawnSupervisor passes
      stopTimeoutMs: number(options.stopTimeout),
      uid: number(options.uid),
      gid: number(options.gid),
      logDirect: options.logDirect === true,
      onEvent: (event) =>
        void process.stderr.write(`${new Date().toISOString()} ${JSON.stringify(event)}\n`, () => undefined),
    });
    const stop = () => void supervisor.stop();
    // `on`, not `once`: execa's exit hook (signal-exit) re-raises a signal nobody else listens to,
    // which would kill this supervisor before it stopped its process and recorded it.
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    supervisor.start();
    const how = await supervisor.done;
    return { exitCode: how === 'gave-up' ? 1 : 0 };
  },
};
