import { describe, expect, it } from 'vitest';
import { resolvedEnvironment } from '../../src/stack/resolved-env.js';
import type { ResolvedDependency } from '../../src/stack/types.js';

const db: ResolvedDependency = {
  name: 'db',
  provider: 'docker',
  spec: { name: 'db', service: 'db_postgres', host: 'db_postgres', port: 5432, hostVar: 'DB_HOST', portVar: 'DB_PORT' },
  connection: { host: '127.0.0.1', port: 40001, user: 'postgres', password: 'pw', database: 'dify' },
  reused: false,
  readyMs: 1,
};
const redis: ResolvedDependency = {
  name: 'redis',
  provider: 'docker',
  spec: { name: 'redis', service: 'redis', host: 'redis', port: 6379, hostVar: 'REDIS_HOST', portVar: 'REDIS_PORT' },
  connection: { host: '127.0.0.1', port: 40002, password: 'pw', db: 0 },
  reused: false,
  readyMs: 1,
};

describe('resolvedEnvironment', () => {
  it('replaces compose service names and container ports with the published address', () => {
    const env = resolvedEnvironment(
      {
        DB_HOST: 'db_postgres',
        DB_PORT: '5432',
        REDIS_HOST: 'redis',
        REDIS_PORT: '6379',
        CELERY_BROKER_URL: 'redis://:difyai123456@redis:6379/1',
        MODE: 'api',
      },
      [db, redis],
    );
    expect(env).toMatchObject({
      DB_HOST: '127.0.0.1',
      DB_PORT: '40001',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: '40002',
      MODE: 'api',
    });
    expect(env.CELERY_BROKER_URL).toBe('redis://:difyai123456@127.0.0.1:40002/1');
  });

  it('rewrites other keys naming the same service and URLs without a port', () => {
    const env = resolvedEnvironment(
      {
        PGVECTOR_HOST: 'db_postgres',
        PGVECTOR_PORT: '5432',
        BROKER: 'redis://redis/2',
        PG_URL: 'postgresql://u:p@db_postgres/dify',
      },
      [db, redis],
    );
    expect(env).toMatchObject({
      PGVECTOR_HOST: '127.0.0.1',
      PGVECTOR_PORT: '40001',
      BROKER: 'redis://127.0.0.1:40002/2',
      PG_URL: 'postgresql://u:p@127.0.0.1:40001/dify',
    });
  });

  it('leaves other hosts, other ports and dependencies without a connection alone', () => {
    const none: ResolvedDependency = { ...redis, provider: 'none', connection: undefined };
    const input = {
      WEAVIATE_ENDPOINT: 'http://weaviate:8080',
      OTHER_HOST: 'db_postgres',
      OTHER_PORT: '6000',
      CELERY_BROKER_URL: 'redis://:pw@redis:6379/1',
    };
    expect(resolvedEnvironment(input, [db, none])).toEqual(input);
  });
});
