import { chmod, mkdtemp, mkdir, writeFile, rm, readlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DifyctlError } from '../../src/errors/index.js';
import { engineEndpoint, dockerOptions } from '../../src/stack/providers/docker/engine.js';
import { repairSymlinks } from '../../src/stack/providers/embedded/binaries.js';
import { checkTraversable } from '../../src/stack/providers/embedded/run-as.js';
import { classifyPgError } from '../../src/stack/ready/postgres.js';
import { classifyRedisError } from '../../src/stack/ready/redis.js';
import { createHash } from 'node:crypto';

const conn = { host: '127.0.0.1', port: 5432, user: 'postgres', password: 'x', database: 'dify' };
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function temp() {
  const d = await mkdtemp(path.join(os.tmpdir(), 'difyctl-unit-'));
  dirs.push(d);
  return d;
}
const fatalCode = (p: { ok: boolean; fatal?: DifyctlError }) => p.fatal?.code;

describe('login failures are told apart, each with the variable to fix', () => {
  it('PostgreSQL: wrong password, unknown role, missing database, unknown host are fatal; refused and starting are waited on', () => {
    const auth = classifyPgError(
      { code: '28P01', message: 'password authentication failed for user "postgres"' },
      conn,
    );
    expect(fatalCode(auth)).toBe('DB.AUTH_FAILED');
    expect(auth.ok === false && auth.fatal?.hint).toContain('DB_PASSWORD');
    const role = classifyPgError({ code: '28000', message: 'role "x" does not exist' }, conn);
    expect(role.ok === false && role.fatal?.hint).toContain('DB_USERNAME');
    const missing = classifyPgError({ code: '3D000', message: 'database "dify" does not exist' }, conn);
    expect(fatalCode(missing)).toBe('DB.DATABASE_MISSING');
    expect(missing.ok === false && missing.fatal?.hint).toContain('DB_DATABASE');
    const dns = classifyPgError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db' }, conn);
    expect(fatalCode(dns)).toBe('NET.HOST_NOT_FOUND');
    expect(dns.ok === false && dns.fatal?.hint).toContain('DB_HOST');
    expect(classifyPgError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, conn)).toEqual({
      ok: false,
      reason: 'connection refused at 127.0.0.1:5432',
    });
    expect(
      fatalCode(classifyPgError({ code: '57P03', message: 'the database system is starting up' }, conn)),
    ).toBeUndefined();
  });

  it('Redis: WRONGPASS / NOAUTH are REDIS.AUTH_FAILED naming REDIS_PASSWORD', () => {
    const r = { host: '127.0.0.1', port: 6379, password: 'x', db: 0 };
    const wrong = classifyRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.'), r);
    expect(fatalCode(wrong)).toBe('REDIS.AUTH_FAILED');
    expect(wrong.ok === false && wrong.fatal?.hint).toContain('REDIS_PASSWORD');
    expect(fatalCode(classifyRedisError(new Error('NOAUTH Authentication required.'), r))).toBe('REDIS.AUTH_FAILED');
    expect(
      fatalCode(classifyRedisError(Object.assign(new Error('getaddrinfo ENOTFOUND redis'), { code: 'ENOTFOUND' }), r)),
    ).toBe('NET.HOST_NOT_FOUND');
    expect(
      fatalCode(classifyRedisError(new Error('LOADING Redis is loading the dataset in memory'), r)),
    ).toBeUndefined();
  });
});

describe('Docker engine discovery (like the docker CLI)', () => {
  it('uses DOCKER_HOST, else the current context, else the default socket', async () => {
    expect(engineEndpoint({ DOCKER_HOST: 'unix:///tmp/x.sock' })).toEqual({
      host: 'unix:///tmp/x.sock',
      source: 'DOCKER_HOST',
    });
    const config = await temp();
    const id = createHash('sha256').update('colima').digest('hex');
    await mkdir(path.join(config, 'contexts', 'meta', id), { recursive: true });
    await writeFile(path.join(config, 'config.json'), JSON.stringify({ currentContext: 'colima' }));
    await writeFile(
      path.join(config, 'contexts', 'meta', id, 'meta.json'),
      JSON.stringify({ Name: 'colima', Endpoints: { docker: { Host: 'unix:///home/u/.colima/docker.sock' } } }),
    );
    expect(engineEndpoint({ DOCKER_CONFIG: config })).toEqual({
      host: 'unix:///home/u/.colima/docker.sock',
      source: 'docker context "colima"',
    });
    expect(engineEndpoint({}, await temp())).toEqual({
      host: 'unix:///var/run/docker.sock',
      source: 'the default socket',
    });
    expect(dockerOptions({ host: 'tcp://10.0.0.2:2375', source: 'DOCKER_HOST' })).toEqual({
      protocol: 'http',
      host: '10.0.0.2',
      port: 2375,
    });
    expect(dockerOptions({ host: 'unix:///var/run/docker.sock', source: 'x' })).toEqual({
      socketPath: '/var/run/docker.sock',
    });
  });
});

describe('repairSymlinks (npm skipped the binary package install script)', () => {
  it('recreates the missing library links from pg-symlinks.json', async () => {
    const pkg = await temp();
    await mkdir(path.join(pkg, 'native', 'lib'), { recursive: true });
    await writeFile(path.join(pkg, 'native', 'lib', 'libpq.so.5.18'), 'lib');
    await writeFile(
      path.join(pkg, 'native', 'pg-symlinks.json'),
      JSON.stringify([{ source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' }]),
    );
    expect(await repairSymlinks(path.join(pkg, 'native'))).toEqual([path.join(pkg, 'native', 'lib', 'libpq.so.5')]);
    expect(await readlink(path.join(pkg, 'native', 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
    expect(await repairSymlinks(path.join(pkg, 'native'))).toEqual([]);
  });

  it('fails with EMBEDDED.BINARIES_BROKEN and the command to run when it cannot', async () => {
    const pkg = await temp();
    await mkdir(path.join(pkg, 'native'), { recursive: true });
    await writeFile(path.join(pkg, 'native', 'lib'), 'not a directory');
    await writeFile(
      path.join(pkg, 'native', 'pg-symlinks.json'),
      JSON.stringify([{ source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' }]),
    );
    const error = (await repairSymlinks(path.join(pkg, 'native')).catch((e: unknown) => e)) as DifyctlError;
    expect(error.code).toBe('EMBEDDED.BINARIES_BROKEN');
    expect(error.hint).toContain('hydrate-symlinks.js');
  });
});

describe('checkTraversable (root runs PostgreSQL as the postgres user)', () => {
  it('fails with EMBEDDED.DATA_DIR_ACCESS naming the parent the user cannot enter, and passes once it can', async () => {
    const project = await temp();
    await chmod(project, 0o700);
    const dataDir = path.join(project, '.difyctl', 'embedded', 'postgres');
    const stranger = { uid: 54321, gid: 54321 };
    const error = (await checkTraversable(dataDir, stranger).catch((e: unknown) => e)) as DifyctlError;
    expect(error.code).toBe('EMBEDDED.DATA_DIR_ACCESS');
    expect(error.message).toContain(project);
    expect(error.hint).toContain(`chmod o+x ${project}`);
    await chmod(project, 0o711);
    await expect(checkTraversable(dataDir, stranger)).resolves.toBeUndefined();
    // Not root: nothing to check.
    await chmod(project, 0o700);
    await expect(checkTraversable(dataDir, {})).resolves.toBeUndefined();
  });
});
