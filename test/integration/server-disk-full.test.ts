/**
 * Issue 13, bug 4 (server half): a write that fails because the disk is full is answered with a
 * documented 507 `insufficient_storage`, not `internal_server_error`, and the server serves writes
 * again once space is freed. The disk is real: the `apps` table moves to a tablespace on a 1 MiB
 * tmpfs (root can mount one) that a filler file then fills, so PostgreSQL itself fails with
 * SQLSTATE 53100 (disk_full). Where no tmpfs can be mounted (not root), a trigger raises the same
 * SQLSTATE from the real server instead, and the test says so.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import type { PostgresConnection, TestPostgres } from '../helpers/postgres.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor, useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
useServers((s) => ({ pg, redis } = s));

let mountDir: string | undefined;
let db: PostgresConnection;
let app: DifyApp;
let auth: { authorization: string };

/** A 1 MiB tmpfs owned by the postgres user, or undefined when mounting is not allowed here. */
function mountTinyDisk(): string | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'difyctl-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  chownSync(dir, uid, gid);
  return dir;
}

/** Writes zeros until the tmpfs refuses (ENOSPC): the disk is now really full. */
function fill(dir: string): void {
  const chunk = Buffer.alloc(64 * 1024);
  let n = 0;
  try {
    for (;;) writeFileSync(path.join(dir, `filler-${n++}`), chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
}

beforeAll(async () => {
  db = await migratedDatabase(pg);
  mountDir = process.getuid?.() === 0 ? mountTinyDisk() : undefined;
  // Uploaded files go to the same tiny disk (an absolute OPENDAL_FS_ROOT).
  const storage = mountDir ? { OPENDAL_FS_ROOT: path.join(mountDir, 'storage') } : {};
  app = await createApp({ settings: settingsFor(serverEnv({ db, redis, extra: storage })).settings });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await app.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN });
  const login = await app.inject({ method: 'POST', url: '/console/api/login', payload: ADMIN });
  auth = {
    authorization: `Bearer ${(JSON.parse(login.body) as { data: { access_token: string } }).data.access_token}`,
  };
  if (mountDir) {
    await pg.exec(
      `CREATE TABLESPACE tiny_${path.basename(mountDir).replace(/\W/g, '_')} LOCATION '${mountDir}'`,
      'postgres',
    );
    await pg.exec(`ALTER TABLE apps SET TABLESPACE tiny_${path.basename(mountDir).replace(/\W/g, '_')}`, db.database);
  } else {
    console.info(
      '[disk-full] no tmpfs can be mounted here (not root): a trigger raises SQLSTATE 53100 from the real server instead',
    );
    await pg.exec(
      `CREATE FUNCTION pretend_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
         IF EXISTS (SELECT 1 FROM kv_store WHERE key = 'test:disk_full') THEN
           RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100';
         END IF;
         RETURN NEW;
       END $$;
       CREATE TRIGGER pretend_disk_full BEFORE INSERT ON apps FOR EACH ROW EXECUTE FUNCTION pretend_disk_full();`,
      db.database,
    );
  }
});

afterAll(async () => {
  await app?.close();
  if (mountDir) {
    // The tablespace's files go with the database; then the mount can go.
    await pg.exec(`DROP DATABASE IF EXISTS "${db.database}"`, 'postgres').catch(() => {});
    await pg
      .exec(`DROP TABLESPACE IF EXISTS tiny_${path.basename(mountDir).replace(/\W/g, '_')}`, 'postgres')
      .catch(() => {});
    try {
      execFileSync('umount', [mountDir], { stdio: 'ignore' });
    } finally {
      rmSync(mountDir, { recursive: true, force: true });
    }
  }
});

/** POST /v1/files/upload with an app key, as the SDKs send it. */
async function upload(key: string, bytes: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  form.set('user', 'disk-full-test');
  form.set('file', new Blob([Buffer.alloc(bytes, 'x')], { type: 'text/plain' }), 'notes.txt');
  const { port } = app.server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/v1/files/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const createOne = (name: string) =>
  app.inject({ method: 'POST', url: '/console/api/apps', headers: auth, payload: { name, mode: 'chat' } });

describe('a write on a full disk', () => {
  it('answers 507 insufficient_storage, and writes again once space is freed', async () => {
    expect((await createOne('before')).statusCode).toBe(201);
    if (mountDir) fill(mountDir);
    else await pg.exec(`INSERT INTO kv_store (key, value) VALUES ('test:disk_full', 'on')`, db.database);
    // Past the page the first app sits on: the table must grow a new 8 KiB page, and cannot.
    let full: Awaited<ReturnType<typeof createOne>> | undefined;
    for (let i = 0; i < 200 && !full; i++) {
      const res = await createOne(`filling ${i} ${'x'.repeat(200)}`);
      if (res.statusCode !== 201) full = res;
    }
    expect(full?.statusCode).toBe(507);
    expect(JSON.parse(full!.body)).toEqual({
      code: 'insufficient_storage',
      message: expect.stringContaining('no space left'),
      status: 507,
    });
    // Reads still work on a full disk.
    expect((await app.inject({ method: 'GET', url: '/console/api/apps', headers: auth })).statusCode).toBe(200);

    if (mountDir) rmSync(path.join(mountDir, 'filler-0'));
    else await pg.exec(`DELETE FROM kv_store WHERE key = 'test:disk_full'`, db.database);
    expect((await createOne('after')).statusCode).toBe(201);
  });

  it('answers 507 to a file upload the storage cannot write (ENOSPC), and stores it once space is freed', async () => {
    if (!mountDir) {
      console.info(
        '[disk-full] no tmpfs here: the ENOSPC mapping of file writes is covered by test/unit/server-hooks.test.ts (/dev/full)',
      );
      return;
    }
    const { readdirSync } = await import('node:fs');
    const freeAll = (): void => {
      for (const filler of readdirSync(mountDir!).filter((f) => f.startsWith('filler-')))
        rmSync(path.join(mountDir!, filler));
    };
    freeAll();
    const appId = (JSON.parse((await createOne('uploads')).body) as { id: string }).id;
    const key = (
      JSON.parse(
        (await app.inject({ method: 'POST', url: `/console/api/apps/${appId}/api-keys`, headers: auth })).body,
      ) as { token: string }
    ).token;
    expect((await upload(key, 1000)).status).toBe(201);
    fill(mountDir);
    const full = await upload(key, 100_000);
    expect(full).toEqual({
      status: 507,
      body: { code: 'insufficient_storage', message: expect.stringContaining('no space left'), status: 507 },
    });
    // Nothing half-written is left behind in the storage.
    const stored = readdirSync(path.join(mountDir, 'storage'), { recursive: true }).map(String);
    expect(stored.filter((f) => f.endsWith('.partial'))).toEqual([]);
    freeAll();
    expect((await upload(key, 1000)).status).toBe(201);
  });
});
