import type { CommandDefinition } from '../types.js';

/**
 * What `difyctl up -d` leaves running for each of api/worker: a detached supervisor that keeps
 * `difyctl serve` alive (restart: always) until `difyctl down` sends it SIGTERM.
 */
export const superviseCommand: CommandDefinition = {
  path: ['__supervise'],
  summary: 'internal: supervise one service process (spawned by up -d)',
  hidden: true,
  configure: (cmd) =>
    cmd
      .requiredOption('--service <name>', 'api or worker')
      .option('--port <port>', 'the port it serves on, for ps')
      .option('--mode <mode>', 'its mode, for ps')
      .argument('<command...>', 'the command to keep running')
      .passThroughOptions(),
  run: async ({ global, env, args, options }) => {
    const path = await import('node:path');
    const { Supervisor } = await import('../../stack/supervisor/supervisor.js');
    const { logFile } = await import('../../logs/sources.js');
    const [command, ...rest] = (args[0] as string[] | undefined) ?? [];
    if (!command) return { exitCode: 2 };
    const projectDir = path.resolve(global.projectDir);
    const service = String(options.service);
    const supervisor = new Supervisor({
      service,
      command,
      args: rest,
      env,
      cwd: projectDir,
      projectDir,
      logFile: logFile(projectDir, service),
      record: { port: options.port ? Number(options.port) : undefined, mode: options.mode as string | undefined },
      onEvent: (event) => process.stderr.write(`${new Date().toISOString()} ${JSON.stringify(event)}\n`),
    });
    const stop = () => void supervisor.stop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    supervisor.start();
    const how = await supervisor.done;
    return { exitCode: how === 'gave-up' ? 1 : 0 };
  },
};
