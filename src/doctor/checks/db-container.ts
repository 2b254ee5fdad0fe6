import { LABEL } from '../../stack/providers/docker/labels.js';
import { embeddedPostgresDir, runningPostmaster } from '../../stack/providers/embedded/postgres.js';
import { fileTail } from '../../supervision/process.js';
import { stackState } from '../targets.js';
import type { Check, CheckResult } from '../types.js';

/** The db container (or embedded server) exists and runs; its last log lines when it does not. */
export const dbContainerCheck: Check = {
  id: 'db.container',
  title: 'Database server',
  run: async ({ config, env, connect }): Promise<CheckResult> => {
    const state = await stackState(config);
    const record = state.services.db;
    if (!record)
      return { status: 'skip', finding: 'skipped: difyctl has not started a database here (`difyctl up db`)' };
    if (record.provider === 'external')
      return { status: 'ok', finding: `external server at ${record.host}:${record.port}, not managed by difyctl` };
    if (record.provider === 'embedded') {
      const running = await runningPostmaster(embeddedPostgresDir(config.project.projectDir));
      if (running)
        return { status: 'ok', finding: `embedded PostgreSQL runs (pid ${running.pid}, port ${running.port})` };
      const tail = record.logFile ? await fileTail(record.logFile, 10) : [];
      return {
        status: 'fail',
        finding: 'the embedded PostgreSQL is not running',
        fix: 'Start it: `difyctl up db`; its log: `difyctl logs db`.',
        details: tail,
      };
    }
    const engine = await connect({ env, timeoutMs: 1500, recorded: state.engine });
    if (!engine) return { status: 'skip', finding: 'skipped: the Docker engine does not answer (see docker)' };
    const found = await engine.listContainers({
      all: true,
      labels: [`${LABEL.project}=${config.project.projectName}`, `${LABEL.dependency}=db`],
    });
    const id = record.containerId ?? found[0]?.Id;
    const info = id ? await engine.inspectContainer(id).catch(() => undefined) : undefined;
    if (!id || !info)
      return {
        status: 'fail',
        finding: `the db container ${record.containerName ?? ''} does not exist`.replace('  ', ' '),
        fix: 'Create it: `difyctl up db`.',
      };
    const name = info.Name.replace(/^\//, '');
    const health = info.State.Health?.Status;
    if (info.State.Running && (!health || health === 'healthy'))
      return { status: 'ok', finding: `${name} runs${health ? ', healthy' : ''}` };
    // Its first healthcheck has not run yet (`up` waits for the login, not for it): db.connect says whether it serves.
    if (info.State.Running && health === 'starting')
      return { status: 'ok', finding: `${name} runs (healthcheck starting)` };
    const tail = await engine.logTail(id, 10);
    const state_ = info.State.Running
      ? `runs but is ${health}`
      : `is ${info.State.Status} (exit code ${info.State.ExitCode})`;
    return {
      status: 'fail',
      finding: `${name} ${state_}${tail.length ? `; last log line: ${tail[tail.length - 1]}` : ''}`,
      fix: `Read its log (\`difyctl logs db -n 30\`), then \`difyctl up db\`. If the data dir is damaged: \`difyctl db reset\`.`,
      details: tail,
    };
  },
};
