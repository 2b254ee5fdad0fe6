/**
 * The first admin and the session: `POST /setup` (once per database), `POST /login` (the tokens go
 * to `.difyctl/console.json`, never to the output), `POST /logout`.
 */
import type { ConsoleClient } from './http.js';
import { readSession, sessionPath, updateSession } from './session-store.js';

export interface Credentials {
  email: string;
  password: string;
}

/** What a sign-in returns: who, and where the session is kept (never the tokens). */
export interface SignedIn {
  email: string;
  server: string;
  sessionFile: string;
}

export async function login(client: ConsoleClient, input: Credentials): Promise<SignedIn> {
  const answer = await client.call<{ data: { access_token: string; refresh_token: string } }>(
    'POST',
    '/login',
    { email: input.email, password: input.password },
    { auth: false },
  );
  const { access_token, refresh_token } = answer.data;
  await updateSession(client.projectDir, (s) =>
    Object.assign(s, { server: client.server, email: input.email, access_token, refresh_token }),
  );
  return { email: input.email, server: client.server, sessionFile: sessionPath(client.projectDir) };
}

/** Dify's setup step (the first admin and its workspace), then a sign-in as that admin. */
export async function setupAdmin(client: ConsoleClient, input: Credentials & { name?: string }): Promise<SignedIn> {
  const name = input.name?.trim() || input.email.split('@')[0] || input.email;
  await client.call('POST', '/setup', { email: input.email, name, password: input.password }, { auth: false });
  return login(client, input);
}

/** Whether the first admin exists (`GET /setup`). */
export async function setupDone(client: ConsoleClient): Promise<boolean> {
  const status = await client.call<{ step?: string }>('GET', '/setup', undefined, { auth: false });
  return status.step === 'finished';
}

/** Revokes the refresh token on the server (best effort) and forgets the session here. */
export async function logout(client: ConsoleClient): Promise<{ signedOut: boolean }> {
  const session = await readSession(client.projectDir);
  if (!session.access_token) return { signedOut: false };
  await client.call('POST', '/logout', { refresh_token: session.refresh_token }).catch(() => undefined);
  await updateSession(client.projectDir, (s) => {
    delete s.access_token;
    delete s.refresh_token;
  });
  return { signedOut: true };
}
