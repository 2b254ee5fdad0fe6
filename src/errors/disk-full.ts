import { readFileSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { DifyctlError } from './difyctl-error.js';

/** No space (ENOSPC) or no quota (EDQUOT) left: a write failed because the disk is full. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code; // any thrown value; only `code` is read
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** `1.5 MiB`: the way `df -h` reads. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `\040` in /proc mountinfo paths is a space (and `\011` a tab, `\012` a newline, `\134` a backslash). */
const unescapeOctal = (field: string) =>
  field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** The mount point that holds `target` (longest matching prefix in /proc/self/mountinfo), with its type. */
export function mountOf(target: string): { mount: string; fstype?: string } | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined; // not Linux
  }
  const absolute = path.resolve(target);
  let best: { mount: string; fstype?: string } | undefined;
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const mount = fields[4] === undefined ? undefined : unescapeOctal(fields[4]);
    if (!mount) continue;
    const inside = mount === '/' || absolute === mount || absolute.startsWith(`${mount}/`);
    // Later lines are mounted over earlier ones at the same point: the last match of the longest wins.
    if (inside && (!best || mount.length >= best.mount.length))
      best = { mount, fstype: fields[fields.indexOf('-') + 1] };
  }
  return best;
}

/** Free bytes for an unprivileged writer, and the size, of the file system that holds `target`. */
export function spaceOf(target: string): { free: number; size: number } | undefined {
  // The file may not exist (it was being created): its nearest existing parent is on the same disk.
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    try {
      const s = statfsSync(dir);
      return { free: s.bavail * s.bsize, size: s.blocks * s.bsize };
    } catch {
      if (path.dirname(dir) === dir) return undefined;
    }
  }
}

/** `0 B free of 200.0 MiB on /srv (ext4)`, with the mount to name in the fix. */
function describeSpace(target: string | undefined) {
  const mount = target ? mountOf(target) : undefined;
  const space = target ? spaceOf(target) : undefined;
  const where = mount
    ? `${mount.mount}${mount.fstype ? ` (${mount.fstype})` : ''}`
    : target
      ? path.dirname(path.resolve(target))
      : undefined;
  const facts =
    space && where
      ? `${formatBytes(space.free)} free of ${formatBytes(space.size)} on ${where}`
      : where
        ? `on ${where}`
        : undefined;
  const dir = mount?.mount ?? where;
  const hint = dir
    ? `Free space on ${dir} (\`df -h ${dir}\`; \`du -xh --max-depth=2 ${dir} | sort -h | tail\` shows what takes it), then run the command again. \`difyctl down\` still stops the stack on a full disk.`
    : 'Free space on the disk that holds the project (`df -h .`), then run the command again. `difyctl down` still stops the stack on a full disk.';
  return {
    facts,
    hint,
    details: { path: target, mount: mount?.mount, freeBytes: space?.free, sizeBytes: space?.size },
  };
}

/**
 * FS.DISK_FULL for a write to `target` that failed with ENOSPC/EDQUOT: how much is free, on which
 * mount, and what to do. Without a target (an error that names no file) it says what it can.
 */
export function diskFullError(target: string | undefined, cause: unknown, what?: string): DifyctlError {
  const quota = (cause as NodeJS.ErrnoException | undefined)?.code === 'EDQUOT'; // read only for its code
  const { facts, hint, details } = describeSpace(target);
  const writing = what ?? (target ? `writing ${target}` : 'a write');
  return new DifyctlError(
    'FS.DISK_FULL',
    `${quota ? 'disk quota exceeded' : 'no space left on the device'} (${writing})${facts ? `: ${facts}` : ''}`,
    { hint, cause, details },
  );
}

/** FS.DISK_FULL before a write that would fail: `what` needs `needBytes` free where `target` is. */
export function notEnoughSpace(args: { target: string; needBytes: number; what: string }): DifyctlError | undefined {
  const space = spaceOf(args.target);
  if (!space || space.free >= args.needBytes) return undefined;
  const { facts, hint, details } = describeSpace(args.target);
  return new DifyctlError(
    'FS.DISK_FULL',
    `${args.what} needs at least ${formatBytes(args.needBytes)} free: ${facts ?? formatBytes(space.free)}`,
    { hint, details },
  );
}
