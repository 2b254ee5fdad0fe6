import path from 'node:path';
import { dockerClient } from './runtime.js';
import type { StackContext, Started } from '../../context.js';
import { dbConnection, redisConnection } from '../../dependencies.js';
import { containerLogTail } from './logs.js';
import { startDockerDependency } from './provider.js';
import { allAtOnce } from '../../ready/composite.js';
import { containerRunningStrategy } from '../../ready/healthcheck.js';
import { postgresStrategy } from '../../ready/postgres.js';
import { redisStrategy } from '../../ready/redis.js';
import type { DependencySpec } from '../../types.js';
import { dockerUnreachable, providerUnavailable } from '../../errors.js';

/** The compose service's container, published on 127.0.0.1; ready once running and logged in. */
export async function startDocker(ctx: StackContext, spec: DependencySpec): Promise<Started> {
  const service = spec.service ? ctx.project.compose?.services[spec.service] : undefined;
  if (!service) {
    throw providerUnavailable(`--provider docker: the compose file defines no service for ${spec.name}`, {
      hint: `Add a ${spec.name === 'db' ? 'postgres' : 'redis'} service named by ${spec.hostVar}, or use --provider auto.`,
    });
  }
  const { engine, recorded } = await ctx.projectEngine();
  if (!engine) {
    const { connectEngine } = await import('./engine.js');
    await connectEngine(ctx.env, { recorded }); // throws DOCKER.UNREACHABLE naming where it looked
    throw dockerUnreachable('the Docker engine stopped answering');
  }
  if (!recorded?.id) void engine.id(); // recorded in the state file once ready: asked now, while the container starts
  const started = await startDockerDependency({
    docker: dockerClient(engine),
    project: ctx.project.projectName,
    projectDir: ctx.project.projectDir,
    spec,
    service,
    lookup: ctx.project.lookup,
    report: ctx.report,
  });
  const target = { host: '127.0.0.1', port: started.hostPort };
  const connection = spec.name === 'db' ? dbConnection(ctx.settings, target) : redisConnection(ctx.settings, target);
  const login =
    spec.name === 'db'
      ? postgresStrategy(dbConnection(ctx.settings, target))
      : redisStrategy(redisConnection(ctx.settings, target));
  const logTail = () => containerLogTail(started.container, 30);
  const inside = (dir: string) => !path.relative(ctx.project.projectDir, dir).startsWith('..');
  return {
    provider: 'docker',
    connection,
    reused: started.reused,
    created: started.created,
    record: {
      provider: 'docker',
      host: target.host,
      port: target.port,
      containerId: started.containerId,
      containerName: started.containerName,
      image: started.image,
      // Its data: read-write bind mounts inside the project (a read-only one is configuration).
      dataDirs: service.volumes
        .filter((v) => v.type === 'bind' && !v.readOnly)
        .map((v) => v.source)
        .filter(inside),
      since: new Date().toISOString(),
    },
    // SPEC §3: the login is the gate, not Docker's healthcheck interval; exited or unhealthy still fails.
    strategy: allAtOnce([
      containerRunningStrategy({ container: started.container, name: started.containerName, logTail }),
      login,
    ]),
    logTail,
  };
}
