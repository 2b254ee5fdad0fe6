/**
 * The console session kept in the project's `.difyctl/console.json` (mode 0600): the access and
 * refresh tokens of `difyctl login`/`setup`, and the app keys `difyctl keys create` made (what
 * `difyctl chat` uses). Tokens are never printed.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stateDir } from '../stack/state.js';

export interface StoredSession {
  version: 1;
  /** The server these belong to (http://127.0.0.1:PORT). */
  server?: string;
  email?: string;
  access_token?: string;
  refresh_token?: string;
  /** Full app keys by app id (only the key's first characters are on the server). */
  app_keys?: Record<string, { id: string; token: string }>;
}

export const sessionPath = (projectDir: string) => path.join(stateDir(projectDir), 'console.json');

export async function readSession(projectDir: string): Promise<StoredSession> {
  try {
    const parsed = JSON.parse(await readFile(sessionPath(projectDir), 'utf8')) as StoredSession; // our own file
    if (parsed && parsed.version === 1) return parsed;
  } catch {
    // absent or unreadable: no session
  }
  return { version: 1 };
}

/** Atomic, and 0600 from its first byte (the temp file is created with that mode). */
export async function writeSession(projectDir: string, session: StoredSession): Promise<void> {
  const file = sessionPath(projectDir);
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
    await chmod(temp, 0o600); // a umask cannot widen it, but an existing file's mode is kept by writeFile
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function updateSession(
  projectDir: string,
  change: (session: StoredSession) => void,
): Promise<StoredSession> {
  const session = await readSession(projectDir);
  change(session);
  await writeSession(projectDir, session);
  return session;
}
