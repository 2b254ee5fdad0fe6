/**
 * The HTTP client of the console API (`/console/api`, the stored session's Bearer token, refreshed
 * once on a 401) and of the service API (`/v1`, an app key). Failures become DifyctlErrors: nothing
 * answers → CONSOLE.UNREACHABLE, no usable session → CONSOLE.NOT_LOGGED_IN, an error answer →
 * CONSOLE.REFUSED with the server's code.
 */
import { serverAddress, type ProjectRef } from './address.js';
import { asServerError, notLoggedIn, refused, unreachable } from './errors.js';
import { readSession, updateSession } from './session-store.js';

export interface ConsoleOptions extends ProjectRef {
  /** The server's base URL; @default the project's (see serverAddress) */
  server?: string;
}

export interface CallOptions {
  /** false: no token (setup, login). @default true */
  auth?: boolean;
}

export interface ConsoleClient {
  readonly server: string;
  readonly projectDir: string;
  /** A console API call (`route` under /console/api); the parsed JSON answer, `{}` for 204. */
  call<T = Record<string, unknown>>(method: string, route: string, body?: unknown, options?: CallOptions): Promise<T>;
  /** A service API request (`route` under /v1) with an app key; the raw response, refused when not 2xx. */
  service(route: string, body: unknown, key: string, signal?: AbortSignal): Promise<Response>;
}

/** Console calls wait this long (saving credentials sends a request to the provider first). */
const CALL_TIMEOUT_MS = 120_000;

export async function connectConsole(options: ConsoleOptions = {}): Promise<ConsoleClient> {
  const address = await serverAddress(options);
  const server = (options.server ?? address.server).replace(/\/+$/, '');
  const { projectDir } = address;

  const send = async (
    method: string,
    url: string,
    body: unknown,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response> => {
    try {
      return await fetch(url, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw unreachable(server, error);
    }
  };

  const refresh = async (): Promise<string> => {
    const { refresh_token } = await readSession(projectDir);
    if (!refresh_token) throw notLoggedIn('the access token was refused and no refresh token is stored');
    const res = await send(
      'POST',
      `${server}/console/api/refresh-token`,
      { refresh_token },
      {},
      AbortSignal.timeout(CALL_TIMEOUT_MS),
    );
    if (!res.ok) throw notLoggedIn(`the session expired and its refresh was refused (HTTP ${res.status})`);
    const { data } = (await res.json()) as { data: { access_token: string; refresh_token: string } }; // Dify's refresh answer
    await updateSession(projectDir, (s) =>
      Object.assign(s, { access_token: data.access_token, refresh_token: data.refresh_token, server }),
    );
    return data.access_token;
  };

  /** No stored session: say so, unless nothing answers (then that) or no admin exists yet. */
  const withoutSession = async (): Promise<Error> => {
    const res = await send('GET', `${server}/console/api/setup`, undefined, {}, AbortSignal.timeout(CALL_TIMEOUT_MS));
    const status = res.ok ? ((await res.json()) as { step?: string }) : {}; // Dify's setup status
    if (status.step === 'not_started')
      return notLoggedIn('the server has no admin yet', 'Create the first admin: `difyctl setup`.');
    return notLoggedIn(`no session is stored in this project's .difyctl/console.json`);
  };

  const call = async <T>(method: string, route: string, body?: unknown, callOptions: CallOptions = {}): Promise<T> => {
    const url = `${server}/console/api${route}`;
    const auth = callOptions.auth !== false;
    let token: string | undefined;
    if (auth) {
      token = (await readSession(projectDir)).access_token;
      if (!token) throw await withoutSession();
    }
    const attempt = (t?: string) =>
      send(method, url, body, t ? { authorization: `Bearer ${t}` } : {}, AbortSignal.timeout(CALL_TIMEOUT_MS));
    let res = await attempt(token);
    if (auth && res.status === 401) res = await attempt(await refresh());
    const text = await res.text();
    if (auth && res.status === 401) throw notLoggedIn('the server refused the refreshed session');
    if (!res.ok) throw refused(`${method} /console/api${route.split('?')[0]}`, res.status, asServerError(text));
    return (text ? JSON.parse(text) : {}) as T; // the console API's JSON, typed by the caller's route
  };

  const service = async (route: string, body: unknown, key: string, signal?: AbortSignal): Promise<Response> => {
    const res = await send('POST', `${server}/v1${route}`, body, { authorization: `Bearer ${key}` }, signal);
    if (!res.ok) throw refused(`POST /v1${route}`, res.status, asServerError(await res.text()));
    return res;
  };

  return { server, projectDir, call, service };
}
