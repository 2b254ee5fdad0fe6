import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextRevision, slugOf } from '../../src/db/new-migration.js';
import { checksumOf, orderChain } from '../../src/db/registry.js';
import { seedSql, sqlLiteral } from '../../src/db/seed.js';
import { compareStatus, planDown, planUp } from '../../src/db/status.js';
import type { AppliedMigration, Migration } from '../../src/db/types.js';
import { DifyctlError } from '../../src/errors/index.js';

const m = (revision: string, down_revision: string | null, up = `-- ${revision}`): Migration => ({
  revision,
  down_revision,
  description: revision,
  up,
  down: '',
});
const chain = orderChain([m('c', 'b'), m('a', null), m('b', 'a')]);
const applied = (revision: string, up = `-- ${revision}`): AppliedMigration => ({
  revision,
  checksum: checksumOf(up),
  description: revision,
  appliedAt: new Date(0),
  durationMs: 1,
});

function chainError(migrations: Migration[]): string {
  try {
    orderChain(migrations);
  } catch (error) {
    expect(error).toBeInstanceOf(DifyctlError);
    expect((error as DifyctlError).code).toBe('MIGRATE.INVALID_CHAIN');
    return (error as DifyctlError).message;
  }
  throw new Error('orderChain accepted a broken chain');
}

describe('the migration chain', () => {
  it('is ordered by down_revision, not by the order given', () => {
    expect(chain.map((x) => x.revision)).toEqual(['a', 'b', 'c']);
  });

  it('refuses duplicates, forks, dangling parents and cycles', () => {
    expect(chainError([m('a', null), m('a', null)])).toContain('Two migrations have revision a');
    expect(chainError([m('a', null), m('b', 'a'), m('c', 'a')])).toContain('forks');
    expect(chainError([m('a', null), m('b', 'x')])).toContain('follows x');
    expect(chainError([m('a', null), m('b', 'c'), m('c', 'b')])).toContain('one chain');
  });

  it('checksums ignore CRLF versus LF', () => {
    expect(checksumOf('A;\r\nB;')).toBe(checksumOf('A;\nB;'));
    expect(checksumOf('A;')).not.toBe(checksumOf('B;'));
  });
});

describe('status is a pure comparison of history and chain', () => {
  it('reports current, head, pending, drift and unknown', () => {
    expect(compareStatus([], chain)).toEqual({
      current: null,
      head: 'c',
      pending: ['a', 'b', 'c'],
      drift: [],
      unknown: [],
      upToDate: false,
    });
    const s = compareStatus([applied('a'), applied('b', 'edited'), applied('z')], chain);
    expect(s).toMatchObject({ current: 'b', head: 'c', pending: ['c'], unknown: ['z'], upToDate: false });
    expect(s.drift).toEqual([
      { revision: 'b', appliedChecksum: checksumOf('edited'), currentChecksum: checksumOf('-- b') },
    ]);
    expect(
      compareStatus(
        ['a', 'b', 'c'].map((r) => applied(r)),
        chain,
      ).upToDate,
    ).toBe(true);
  });

  it('pending and current partition the chain for any applied prefix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), (n) => {
        const s = compareStatus(
          chain.slice(0, n).map((x) => applied(x.revision)),
          chain,
        );
        expect(s.pending).toEqual(chain.slice(n).map((x) => x.revision));
        expect(s.current).toBe(n === 0 ? null : chain[n - 1]!.revision);
      }),
    );
  });

  it('plans up to a target and down by steps or to a revision, newest first', () => {
    expect(planUp(chain, [applied('a')]).map((x) => x.revision)).toEqual(['b', 'c']);
    expect(planUp(chain, [], 'b').map((x) => x.revision)).toEqual(['a', 'b']);
    const all = ['a', 'b', 'c'].map((r) => applied(r));
    expect(planDown(chain, all, {}).map((x) => x.revision)).toEqual(['c']);
    expect(planDown(chain, all, { steps: 2 }).map((x) => x.revision)).toEqual(['c', 'b']);
    expect(planDown(chain, all, { to: 'a' }).map((x) => x.revision)).toEqual(['c', 'b']);
    expect(planDown(chain, all, { to: 'base' }).map((x) => x.revision)).toEqual(['c', 'b', 'a']);
  });
});

describe('migrate new', () => {
  it('numbers the next revision after the highest, keeping the width', () => {
    expect(nextRevision([])).toBe('0001');
    expect(nextRevision(['0001', '0009'])).toBe('0010');
    expect(nextRevision(['a1b2c3'])).toMatch(/^[0-9a-f]{12}$/);
  });

  it('turns a name into a file slug and refuses one without letters', () => {
    expect(slugOf('Add Widgets-table!')).toBe('add_widgets_table');
    expect(() => slugOf('!!')).toThrow(DifyctlError);
  });
});

describe('seed SQL', () => {
  it('quotes literals and only ever inserts without overwriting', () => {
    expect(sqlLiteral("it's")).toBe("'it''s'");
    const sql = seedSql();
    expect(sql.match(/INSERT INTO/g)?.length).toBe(5);
    expect(sql.match(/ON CONFLICT/g)?.length).toBe(5);
    expect(sql).not.toMatch(/DO UPDATE|DELETE|DROP/);
  });
});
