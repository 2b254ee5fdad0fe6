import { appendFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Chalk } from 'chalk';
import { afterEach, describe, expect, it } from 'vitest';
import { fileLogSource } from '../../src/logs/file-source.js';
import { grepLines, mergeByTime } from '../../src/logs/merge.js';
import { renderLine } from '../../src/logs/render.js';
import { parseLineTime, parseSince } from '../../src/logs/timestamps.js';
import type { LogLine } from '../../src/logs/types.js';
import { tempDir } from '../helpers/cli.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

describe('line times', () => {
  it.each([
    ['{"level":30,"time":1764125178123,"msg":"x"}', '2025-11-26T02:46:18.123Z'],
    ['2026-11-26T02:46:18.123456789Z hello', '2026-11-26T02:46:18.123Z'],
    ['2026-11-26 02:46:18.123 UTC [42] LOG:  database system is ready', '2026-11-26T02:46:18.123Z'],
    ['1:C 26 Nov 2026 02:46:18.123 * Ready to accept connections', '2026-11-26T02:46:18.123Z'],
  ])('reads %s', (text, iso) => {
    expect(parseLineTime(text)?.toISOString()).toBe(iso);
  });

  it('leaves lines without a time alone', () => {
    expect(parseLineTime('    at foo (bar.js:1:2)')).toBeUndefined();
  });

  it('parses --since as a duration back or an absolute time', () => {
    const now = new Date('2026-11-26T12:00:00Z');
    expect(parseSince('10m', now)?.toISOString()).toBe('2026-11-26T11:50:00.000Z');
    expect(parseSince('1h30m', now)?.toISOString()).toBe('2026-11-26T10:30:00.000Z');
    expect(parseSince('2026-11-26T11:00:00Z', now)?.toISOString()).toBe('2026-11-26T11:00:00.000Z');
    expect(parseSince('yesterday-ish', now)).toBeUndefined();
  });
});

const at = (service: string, iso: string | undefined, text: string): LogLine => ({
  service,
  time: iso ? new Date(iso) : undefined,
  text,
});

describe('merging and grep', () => {
  it('merges services in time order and keeps untimed lines under their message', () => {
    const api = [
      at('api', '2026-01-01T00:00:01Z', 'a1'),
      at('api', undefined, '  trace'),
      at('api', '2026-01-01T00:00:03Z', 'a3'),
    ];
    const db = [at('db', '2026-01-01T00:00:02Z', 'd2')];
    expect(mergeByTime([api, db]).map((l) => l.text)).toEqual(['a1', '  trace', 'd2', 'a3']);
  });

  it('keeps context lines after and before a match, like grep -A/-B', () => {
    const lines = ['ok', 'Error: boom', 'trace 1', 'trace 2', 'ok', 'ok', 'Error again'].map((t) =>
      at('api', undefined, t),
    );
    expect(grepLines(lines, { pattern: /Error/, after: 2 }).map((l) => l.text)).toEqual([
      'Error: boom',
      'trace 1',
      'trace 2',
      'Error again',
    ]);
    expect(grepLines(lines, { pattern: /again/, before: 1 }).map((l) => l.text)).toEqual(['ok', 'Error again']);
  });

  it('renders compose-style prefixes, optional timestamps', () => {
    const line = at('db', '2026-01-01T00:00:02Z', 'ready');
    const color = new Chalk({ level: 0 });
    expect(renderLine(line, { color, width: 6, timestamps: false, prefix: true, services: ['api', 'db'] })).toBe(
      'db     | ready',
    );
    expect(renderLine(line, { color, width: 6, timestamps: true, prefix: false, services: ['db'] })).toBe(
      '2026-01-01T00:00:02.000Z ready',
    );
  });
});

describe('file log source', () => {
  it('reads the last N lines across a rotation, and --since', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const file = path.join(dir, 'api.log');
    await writeFile(`${file}.1`, '{"time":1764125170000,"msg":"old"}\n');
    await writeFile(file, '{"time":1764125180000,"msg":"a"}\n{"time":1764125190000,"msg":"b"}\n');
    const source = fileLogSource({ service: 'api', file });
    expect((await source.read({})).map((l) => l.time?.getTime())).toEqual([
      1764125170000, 1764125180000, 1764125190000,
    ]);
    expect((await source.read({ tail: 1 })).map((l) => l.text)).toEqual(['{"time":1764125190000,"msg":"b"}']);
    expect((await source.read({ since: new Date(1764125185000) })).length).toBe(1);
  });

  it('follows new lines, through a rotation', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const file = path.join(dir, 'worker.log');
    await writeFile(file, 'before\n');
    const source = fileLogSource({ service: 'worker', file, pollMs: 20 });
    const seen: string[] = [];
    const controller = new AbortController();
    let resolveSeen: () => void = () => undefined;
    const done = new Promise<void>((r) => (resolveSeen = r));
    const following = source.follow((l) => {
      seen.push(l.text);
      if (seen.length === 3) resolveSeen();
    }, controller.signal);
    await appendFile(file, 'one\npart');
    await appendFile(file, 'ial\n');
    await rename(file, `${file}.1`);
    await writeFile(file, '');
    await appendFile(file, 'after rotation\n');
    await done;
    controller.abort();
    await following;
    expect(seen).toEqual(['one', 'partial', 'after rotation']);
  });
});
