import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/project.js';
import {
  containerSpec,
  DEFAULT_HEALTH_INTERVAL_MS,
  restartPolicy,
} from '../../src/stack/providers/docker/container-spec.js';
import { wantedPort } from '../../src/stack/providers/docker/ports.js';
import { dependencySpec, findDependencyService } from '../../src/stack/dependencies.js';
import { requireValid, resolveConfig } from '../../src/config/resolve.js';
import { difyProject } from '../helpers/fixtures.js';

const env = { SECRET_KEY: 'a-test-secret-key-that-is-long-enough-123' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function load(pair: 'newest' | 'v015', extra: Record<string, string> = {}) {
  const p = await difyProject(pair);
  cleanups.push(p.cleanup);
  const project = loadProject({ projectDir: p.dir, env: { ...env, ...extra }, projectName: 'spec-test' });
  const settings = requireValid(resolveConfig(project, { mode: 'api' }));
  return { project, settings, dir: p.dir };
}

describe('which compose service is the db / redis', () => {
  it('is the one DB_HOST / REDIS_HOST names: db_postgres in the newest Dify file, db in 0.15', async () => {
    const newest = await load('newest');
    expect(dependencySpec({ name: 'db', settings: newest.settings, compose: newest.project.compose }).service).toBe(
      'db_postgres',
    );
    expect(dependencySpec({ name: 'redis', settings: newest.settings, compose: newest.project.compose }).service).toBe(
      'redis',
    );
    const old = await load('v015');
    expect(dependencySpec({ name: 'db', settings: old.settings, compose: old.project.compose }).service).toBe('db');
  });

  it('falls back to a service whose image is postgres / redis when the host is not a service', async () => {
    const { project } = await load('v015');
    expect(findDependencyService({ compose: project.compose, name: 'db', host: '127.0.0.1' })).toBe('db');
    expect(findDependencyService({ compose: project.compose, name: 'redis', host: 'cache.internal' })).toBe('redis');
    expect(findDependencyService({ name: 'db', host: 'db' })).toBeUndefined();
  });
});

describe('containerSpec (compose service → Docker create options)', () => {
  it("translates Dify 0.15's db: argv command, bind mount, healthcheck in ns, restart, 127.0.0.1 port, labels", async () => {
    const { project, settings, dir } = await load('v015', { EXPOSE_DB_PORT: '45432' });
    const service = project.compose!.services.db!;
    const spec = dependencySpec({ name: 'db', settings, compose: project.compose });
    const port = wantedPort({ service, spec, lookup: project.lookup });
    expect(port).toMatchObject({ target: 5432, published: 45432 });
    const c = containerSpec({
      project: 'spec-test',
      service,
      dependency: 'db',
      targetPort: port.target,
      hostPort: 45432,
      hostPortConfigured: true,
    });
    expect(c.name).toBe('spec-test-db-1');
    expect(c.create.Cmd?.slice(0, 3)).toEqual(['postgres', '-c', 'max_connections=100']);
    expect(c.create.HostConfig?.Binds).toEqual([`${dir}/volumes/db/data:/var/lib/postgresql/data`]);
    expect(c.bindSources).toEqual([`${dir}/volumes/db/data`]);
    expect(c.create.Healthcheck).toEqual({ Test: ['CMD', 'pg_isready'], Interval: 1e9, Timeout: 3e9, Retries: 30 });
    expect(c.create.HostConfig?.RestartPolicy).toEqual({ Name: 'always' });
    expect(c.create.HostConfig?.PortBindings).toEqual({ '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '45432' }] });
    expect(c.create.Env).toContain('POSTGRES_PASSWORD=difyai123456');
    expect(c.create.Labels).toMatchObject({
      'com.difyctl.project': 'spec-test',
      'com.difyctl.service': 'db',
      'com.docker.compose.project': 'spec-test',
    });
    expect(c.create.NetworkingConfig?.EndpointsConfig?.['spec-test_default']?.Aliases).toEqual(['db']);
  });

  it('publishes the newest db_postgres (no ports) on a free port, and uses a short health interval when none is set', async () => {
    const { project, settings } = await load('newest');
    const redis = project.compose!.services.redis!;
    const spec = dependencySpec({ name: 'redis', settings, compose: project.compose });
    expect(wantedPort({ service: redis, spec, lookup: project.lookup }).published).toBeUndefined();
    const c = containerSpec({
      project: 'p',
      service: redis,
      dependency: 'redis',
      targetPort: 6379,
      hostPort: 40000,
      hostPortConfigured: false,
    });
    expect(c.create.Healthcheck?.Interval).toBe(DEFAULT_HEALTH_INTERVAL_MS * 1e6);
    expect(c.create.Cmd).toEqual(['redis-server', '--requirepass', 'difyai123456']);
    // A free port is not part of the identity: the same container is reused on another run.
    const again = containerSpec({
      project: 'p',
      service: redis,
      dependency: 'redis',
      targetPort: 6379,
      hostPort: 40001,
      hostPortConfigured: false,
    });
    expect(again.hash).toBe(c.hash);
    const configured = containerSpec({
      project: 'p',
      service: redis,
      dependency: 'redis',
      targetPort: 6379,
      hostPort: 40001,
      hostPortConfigured: true,
    });
    expect(configured.hash).not.toBe(c.hash);
  });

  it('maps restart policies', () => {
    expect(restartPolicy(undefined)).toEqual({ Name: 'no' });
    expect(restartPolicy('unless-stopped')).toEqual({ Name: 'unless-stopped' });
    expect(restartPolicy('on-failure:3')).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
  });
});
