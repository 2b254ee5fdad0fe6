// A real full disk for tests: a small tmpfs of the test's own, mounted on a temp dir (root only).
//
//   const disk = await mountTmpfs({ sizeMb: 8 });
//   if ('skip' in disk) { console.warn(disk.skip); return; }
//   await disk.fill();      // no free block left (ENOSPC on the next write)
//   await disk.release();   // space again
//   await disk.unmount();   // in cleanup
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, rmdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Tmpfs {
  dir: string;
  /** Writes `filler` until the disk is full: no data block is left. */
  fill(): Promise<void>;
  /** Creates empty files until no inode is left either (`nr_inodes` caps them). */
  exhaustInodes(): Promise<void>;
  /** Removes what fill() and exhaustInodes() wrote. */
  release(): Promise<void>;
  /** Lazy unmount (a process may still have its cwd there), then the mount point goes. */
  unmount(): Promise<void>;
}

const isFull = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOSPC';

/** Mounts a tmpfs of `sizeMb` (and at most `inodes` files) on a new temp dir, mode 0755. */
export async function mountTmpfs(options: { sizeMb: number; inodes?: number }): Promise<Tmpfs | { skip: string }> {
  if (process.getuid?.() !== 0)
    return { skip: 'not root: cannot mount a tmpfs to fill (the full-disk tests need a real full file system)' };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'difyctl-tmpfs-'));
  const opts = [`size=${options.sizeMb}m`, 'mode=755', ...(options.inodes ? [`nr_inodes=${options.inodes}`] : [])].join(
    ',',
  );
  try {
    await exec('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
  } catch (error) {
    await rmdir(dir).catch(() => undefined);
    return { skip: `cannot mount a tmpfs here (${(error as Error).message.trim()}): the full-disk tests need one` };
  }
  const filler = path.join(dir, 'filler');
  const empties = path.join(dir, '.inodes');
  let made = 0;
  return {
    dir,
    async fill() {
      const file = await open(filler, 'a');
      const chunk = Buffer.alloc(1024 * 1024);
      try {
        for (;;) await file.write(chunk);
      } catch (error) {
        if (!isFull(error)) throw error;
      } finally {
        await file.close();
      }
      // The last partial block too: a write of one byte must fail.
      try {
        for (;;) await writeFile(filler, 'x', { flag: 'a' });
      } catch (error) {
        if (!isFull(error)) throw error;
      }
    },
    async exhaustInodes() {
      await mkdir(empties, { recursive: true });
      try {
        for (;;) await writeFile(path.join(empties, String(made++)), '');
      } catch (error) {
        if (!isFull(error)) throw error;
      }
    },
    async release() {
      await rm(filler, { force: true });
      await rm(empties, { recursive: true, force: true });
    },
    async unmount() {
      await exec('umount', ['-l', dir]).catch(() => undefined);
      await rmdir(dir).catch(() => undefined);
    },
  };
}
