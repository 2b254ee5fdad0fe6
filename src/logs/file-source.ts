import { statSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { readRange } from '../supervision/process.js';
import { parseLineTime } from './timestamps.js';
import type { LogLine, LogSource, ReadOptions } from './types.js';

async function readText(file: string): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

function toLines(service: string, text: string): LogLine[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((raw) => {
    const line = raw.replace(/\r$/, '');
    return { service, time: parseLineTime(line), text: line };
  });
}

export interface FileLogSourceOptions {
  service: string;
  /** The live log file; `<file>.1` (the previous rotation) is read before it. */
  file: string;
  /** How often `follow` looks for new bytes. @default 100 */
  pollMs?: number;
}

/** A process's log file (api, worker, embedded db/redis), rotation-aware. */
export function fileLogSource(options: FileLogSourceOptions): LogSource {
  const { service, file } = options;
  return {
    service,
    async read({ tail, since }: ReadOptions) {
      let lines = toLines(service, (await readText(`${file}.1`)) + (await readText(file)));
      if (since) lines = lines.filter((l) => !l.time || l.time >= since);
      return tail === undefined ? lines : tail === 0 ? [] : lines.slice(-tail);
    },
    follow(onLine, signal) {
      // Taken synchronously: every line written after follow() is called is delivered.
      const start = statSync(file, { throwIfNoEntry: false });
      let offset = start?.size ?? 0;
      let inode = start?.ino;
      let pending = '';
      const emit = (text: string) => {
        pending += text;
        const cut = pending.lastIndexOf('\n');
        if (cut < 0) return;
        for (const line of toLines(service, pending.slice(0, cut + 1))) onLine(line);
        pending = pending.slice(cut + 1);
      };
      return (async () => {
        while (!signal.aborted) {
          const current = await stat(file).catch(() => undefined);
          if (current && current.ino !== inode) {
            // Rotated: finish the old file (now `<file>.1`) before starting on the new one.
            const previous = await stat(`${file}.1`).catch(() => undefined);
            if (previous && previous.ino === inode && previous.size > offset)
              emit(await readRange(`${file}.1`, offset, previous.size));
            offset = 0;
            inode = current.ino;
          } else if (current && current.size < offset) {
            offset = 0; // truncated
          }
          if (current && current.size > offset) {
            emit(await readRange(file, offset, current.size));
            offset = current.size;
          }
          await delay(options.pollMs ?? 100, undefined, { signal }).catch(() => undefined);
        }
      })();
    },
  };
}
