import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/resolve.js';
import { difyProject } from '../helpers/fixtures.js';

const value = (config: ReturnType<typeof loadConfig>, key: string) => config.values.get(key)?.value;

describe('the newest Dify pair (1.13.3)', () => {
  let project: Awaited<ReturnType<typeof difyProject>>;
  beforeAll(async () => {
    project = await difyProject('newest');
  });
  afterAll(() => project.cleanup());

  it('resolves the api service with the merge-key override and Dify defaults', () => {
    const config = loadConfig({ projectDir: project.dir, env: {} });
    expect(config.service).toBe('api');
    expect(value(config, 'MODE')).toBe('api');
    expect(config.values.get('MODE')?.source).toMatchObject({ kind: 'file', file: 'docker-compose.yaml' });
    expect(value(config, 'DB_HOST')).toBe('db_postgres');
    expect(value(config, 'DIFY_PORT')).toBe(5001);
    // 704 shared keys plus the service's own
    expect(config.raw.size).toBeGreaterThan(700);
  });

  it('picks the worker service for mode worker', () => {
    const config = loadConfig({ projectDir: project.dir, env: {}, mode: 'worker' });
    expect(config.service).toBe('worker');
    expect(value(config, 'MODE')).toBe('worker');
  });

  it('keeps a # inside an unquoted value', () => {
    const config = loadConfig({ projectDir: project.dir, env: {} });
    expect(config.project.dotenv.get('OPENSEARCH_INITIAL_ADMIN_PASSWORD')?.value).toBe('Qazwsxedc!@#123');
    expect(config.raw.get('OPENSEARCH_INITIAL_ADMIN_PASSWORD')?.value).toBe('Qazwsxedc!@#123');
  });

  it('lets the shell beat .env', () => {
    const config = loadConfig({ projectDir: project.dir, env: { DB_HOST: 'x' } });
    expect(value(config, 'DB_HOST')).toBe('x');
    expect(config.values.get('DB_HOST')?.source).toEqual({ kind: 'shell' });
  });

  it('names the .env line a value came from', () => {
    const config = loadConfig({ projectDir: project.dir, env: {} });
    const source = config.values.get('DB_HOST')?.source;
    expect(source).toMatchObject({ kind: 'file', file: '.env' });
    const line = source?.kind === 'file' ? source.line : 0;
    expect(config.project.envFile?.lineText(line)).toMatch(/^DB_HOST=/);
  });

  it('refuses the sample SECRET_KEY in PRODUCTION, and accepts a fresh one', () => {
    const sample = loadConfig({ projectDir: project.dir, env: {} });
    expect(sample.diagnostics.filter((d) => d.level === 'error').map((d) => d.key)).toEqual(['SECRET_KEY']);
    expect(sample.settings).toBeUndefined();
    const fresh = loadConfig({
      projectDir: project.dir,
      env: { SECRET_KEY: 'a-fresh-secret-key-that-is-long-enough-0123456789' },
    });
    expect(fresh.diagnostics.filter((d) => d.level === 'error')).toEqual([]);
    expect(fresh.settings?.SECRET_KEY).toBe('a-fresh-secret-key-that-is-long-enough-0123456789');
  });

  it('enables services by COMPOSE_PROFILES from .env and leaves the others out', () => {
    const config = loadConfig({ projectDir: project.dir, env: {} });
    const compose = config.project.compose;
    expect(compose?.services.db_postgres).toBeDefined();
    expect(compose?.services.weaviate).toBeDefined();
    expect(compose?.inactive).toContain('db_mysql');
    expect(compose?.services.api?.dependsOn.db_postgres).toEqual({
      condition: 'service_healthy',
      required: false,
      restart: false,
    });
  });

  it('normalises the db service: command, volumes, healthcheck', () => {
    const db = loadConfig({ projectDir: project.dir, env: {} }).project.compose?.services.db_postgres;
    expect(db?.image).toBe('postgres:15-alpine');
    expect(String(db?.command)).toContain("-c 'max_connections=100'");
    expect(db?.volumes[0]).toMatchObject({
      type: 'bind',
      source: `${project.dir}/volumes/db/data`,
      target: '/var/lib/postgresql/data',
    });
    expect(db?.healthcheck).toMatchObject({
      test: ['CMD', 'pg_isready', '-h', 'db_postgres', '-U', 'postgres', '-d', 'dify'],
      intervalMs: 1000,
      timeoutMs: 3000,
      retries: 60,
      disable: false,
    });
    expect(db?.environment.get('POSTGRES_PASSWORD')?.value).toBe('difyai123456');
  });
});

describe('the 0.15-era Dify pair', () => {
  let project: Awaited<ReturnType<typeof difyProject>>;
  beforeAll(async () => {
    project = await difyProject('v015');
  });
  afterAll(() => project.cleanup());

  it('resolves nested ${PGUSER:-${DB_USERNAME}} and PGUSER=${DB_USERNAME} in .env', () => {
    const config = loadConfig({ projectDir: project.dir, env: {} });
    expect(config.service).toBe('api');
    expect(config.raw.get('PGUSER')?.value).toBe('postgres');
    const withoutPgUser = loadConfig({ projectDir: project.dir, env: { DB_USERNAME: 'alice' } });
    expect(withoutPgUser.raw.get('PGUSER')?.value).toBe('alice');
  });

  it('reads depends_on in list form and the db service named db', () => {
    const compose = loadConfig({ projectDir: project.dir, env: {} }).project.compose;
    expect(compose?.services.api?.dependsOn.db).toEqual({
      condition: 'service_started',
      required: true,
      restart: false,
    });
    expect(compose?.services.db?.ports[0]).toMatchObject({ published: 5432, target: 5432 });
    expect(value(loadConfig({ projectDir: project.dir, env: {} }), 'DB_HOST')).toBe('db');
  });
});
