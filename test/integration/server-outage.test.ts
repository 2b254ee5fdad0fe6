import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator } from '../../src/db/migrator.js';
import { ADMIN, serverEnv, startRestartablePostgres, type RestartablePostgres } from './server-fixtures.js';
import { health, serve, waitFor, type ServedProcess } from './server-serve.js';

let pg: RestartablePostgres;
let served: ServedProcess | undefined;

beforeAll(async () => {
  pg = await startRestartablePostgres();
  await createMigrator({ connection: { ...pg.connection } }).up();
});
afterAll(async () => {
  await served?.stop();
  await pg?.destroy();
});

describe('GET /health through a PostgreSQL outage', () => {
  it('turns 503 within 2 s of PostgreSQL stopping, 200 within 2 s of its return, and the server never exits', async () => {
    served = await serve({ env: serverEnv({ db: pg.connection, extra: { SERVER_WORKER_AMOUNT: '1' } }) });
    const pid = (await health(served.url)).body.pid;
    const api = `${served.url}/console/api`;
    const post = (url: string, body: unknown) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(`${api}/setup`, ADMIN)).status).toBe(201);
    const token = ((await (await post(`${api}/login`, ADMIN)).json()) as { data: { access_token: string } }).data
      .access_token;
    const apps = () => fetch(`${api}/apps`, { headers: { authorization: `Bearer ${token}` } });

    await pg.stop();
    const stoppedAt = Date.now();
    const down = await waitFor(
      async () => {
        const h = await health(served!.url);
        return h.status === 503 ? h : undefined;
      },
      { timeoutMs: 2000, what: '/health → 503 after PostgreSQL stopped' },
    );
    console.info(`[measure] /health 503 ${Date.now() - stoppedAt} ms after PostgreSQL stopped`);
    expect(down.body).toMatchObject({ status: 'unhealthy', db: 'error' });
    // Still answering (and the same process) while the database is away.
    expect((await health(served.url)).status).toBe(503);
    const unavailable = await apps();
    expect(unavailable.status).toBe(503);
    expect(await unavailable.json()).toMatchObject({ code: 'service_unavailable', status: 503 });

    await pg.start();
    const startedAt = Date.now();
    const up = await waitFor(
      async () => {
        const h = await health(served!.url);
        return h.status === 200 ? h : undefined;
      },
      { timeoutMs: 2000, what: '/health → 200 after PostgreSQL returned' },
    );
    console.info(`[measure] /health 200 ${Date.now() - startedAt} ms after PostgreSQL returned`);
    expect(up.body).toMatchObject({ status: 'healthy', db: 'ok', pid });
    expect((await apps()).status).toBe(200);
    expect(served.child.exitCode).toBeNull();
  });
});
