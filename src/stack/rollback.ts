import type { StackContext, Started } from './context.js';
import { stopEmbeddedPostgres } from './providers/embedded/postgres-supervision.js';
import { stopProcess } from '../supervision/process.js';
import { updateState } from './state.js';
import type { DependencyName } from './types.js';

/**
 * SPEC §3: a failed `up` removes what it created in that run (containers, processes); what it
 * found running, and all data, stay. The failure message already carries the log tail.
 */
export async function rollback(ctx: StackContext, created: Array<[DependencyName, Started]>): Promise<void> {
  for (const [name, started] of created) {
    if (!started.created) continue;
    const { record } = started;
    if (record.provider === 'docker' && record.containerId) {
      const engine = await ctx.engine();
      const removed = await engine?.removeContainer(record.containerId).then(
        () => true,
        (error: { statusCode?: number }) => error.statusCode === 404,
      ); // dockerode errors carry the HTTP status
      if (!removed) {
        // Not removed is not gone: its record stays for `ps` and `down` (issue 13, bug 1).
        ctx.report({
          type: 'warning',
          message: `${record.containerName ?? record.containerId} could not be removed after the failed run: \`difyctl down\` removes it`,
        });
        continue;
      }
    } else if (record.provider === 'embedded' && name === 'db') {
      // With its supervisor, which would start it again.
      await stopEmbeddedPostgres({ projectDir: ctx.project.projectDir, clock: ctx.clock });
    } else if (record.provider === 'embedded' && record.pid) {
      await stopProcess({ pid: record.pid, signal: 'SIGTERM', timeoutMs: 10_000, clock: ctx.clock });
    } else {
      continue;
    }
    ctx.report({
      type: 'stopped',
      dependency: name,
      detail: `${record.containerName ?? `pid ${record.pid}`} (created by this failed run)`,
    });
    await updateState({
      projectDir: ctx.project.projectDir,
      project: ctx.project.projectName,
      change: (state) => {
        delete state.services[name];
        if (!Object.values(state.services).some((r) => r?.provider === 'docker')) delete state.engine;
      },
    });
  }
}
