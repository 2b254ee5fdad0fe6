import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { resolveEndUser } from '../../src/apps/end-users.js';

/** A pool stand-in that counts statements; end users are found (the SELECT answers a row). */
function countingDb(extra: object = {}) {
  const seen: string[] = [];
  const db = {
    ...extra,
    query: async (config: { name?: string }) => {
      seen.push(config.name ?? '?');
      return { rows: [{ id: 'end-user-1' }] };
    },
  };
  return { db: db as unknown as pg.Pool, seen }; // only query() is called by resolveEndUser
}

describe('resolveEndUser', () => {
  it('asks the database once per app and user; a pool remembers the answer', async () => {
    const { db, seen } = countingDb();
    const input = { tenantId: 't1', appId: 'a1', user: 'ada' };
    expect(await resolveEndUser(db, input)).toEqual({
      id: 'end-user-1',
      tenantId: 't1',
      appId: 'a1',
      sessionId: 'ada',
    });
    expect(await resolveEndUser(db, input)).toEqual({
      id: 'end-user-1',
      tenantId: 't1',
      appId: 'a1',
      sessionId: 'ada',
    });
    expect(seen).toEqual(['apps.end-user.find']);
    await resolveEndUser(db, { ...input, user: 'bob' });
    await resolveEndUser(db, { ...input, appId: 'a2' });
    expect(seen).toHaveLength(3);
  });

  it('does not remember what a client in a transaction read (it may roll back)', async () => {
    const { db, seen } = countingDb({ release: () => {} });
    const input = { tenantId: 't1', appId: 'a1', user: 'ada' };
    await resolveEndUser(db, input);
    await resolveEndUser(db, input);
    expect(seen).toEqual(['apps.end-user.find', 'apps.end-user.find']);
  });
});
