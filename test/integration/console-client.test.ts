/**
 * The console client from code (what the CLI's console commands call, exported from src/index.ts),
 * against a real server listening on loopback (real PostgreSQL, the LLM stand-in): each function
 * without the CLI, and what the e2e acceptance does not reach (provider-level credentials,
 * removing models and providers, the DSL round trip, streamed events as they arrive).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addProvider,
  chat,
  connectConsole,
  createApiKey,
  createConsoleApp,
  DifyctlError,
  exportApp,
  importApp,
  listApiKeys,
  listApps,
  listProviders,
  login,
  logout,
  removeApiKey,
  removeApp,
  removeProvider,
  resolveApp,
  setupAdmin,
  setupDone,
  type ConsoleClient,
  type StreamEvent,
} from '../../src/index.js';
import { createApp as createServer, type DifyApp } from '../../src/server/app.js';
import { tempDir } from '../helpers/cli.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor } from './server-fixtures.js';

const KEY = 'sk-console-client-key-0001';
const REPLY = 'Sencha is steamed, not pan-fired.';
let pg: TestPostgres;
let llm: StandIn;
let server: DifyApp;
let project: { dir: string; cleanup: () => Promise<void> };
let client: ConsoleClient;

beforeAll(async () => {
  [pg, llm, project] = await Promise.all([
    startPostgres(),
    startStandIn({ apiKeys: [KEY], reply: REPLY }),
    tempDir('difyctl-console-client-'),
  ]);
  const { settings } = settingsFor(serverEnv({ db: await migratedDatabase(pg) }));
  server = await createServer({ settings, redisEnabled: false });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  client = await connectConsole({ projectDir: project.dir, server: `http://127.0.0.1:${address.port}` });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await Promise.all([llm?.close(), pg?.stop(), project?.cleanup()]);
});

const failure = async (call: Promise<unknown>): Promise<DifyctlError> => {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DifyctlError)) throw new Error(`expected a DifyctlError, got ${String(error)}`);
  return error;
};

describe('the console client', () => {
  it('nothing listening: CONSOLE.UNREACHABLE naming the address and `difyctl up -d`', async () => {
    const url = `http://127.0.0.1:${await getPort()}`;
    const error = await failure(listApps(await connectConsole({ projectDir: project.dir, server: url })));
    expect(error).toMatchObject({ code: 'CONSOLE.UNREACHABLE', details: { url } });
    expect(error.hint).toContain('difyctl up -d');
  });

  it('setupAdmin signs in and keeps the session 0600; login and logout', async () => {
    expect(await setupDone(client)).toBe(false);
    expect((await failure(listApps(client))).hint).toContain('difyctl setup');
    const signed = await setupAdmin(client, ADMIN);
    expect(signed.sessionFile).toBe(path.join(project.dir, '.difyctl', 'console.json'));
    expect((await stat(signed.sessionFile)).mode & 0o777).toBe(0o600);
    expect(await setupDone(client)).toBe(true);
    expect(await failure(setupAdmin(client, ADMIN))).toMatchObject({
      code: 'CONSOLE.REFUSED',
      details: { status: 403, code: 'already_setup' },
    });
    expect(await logout(client)).toEqual({ signedOut: true });
    expect((await failure(listApps(client))).code).toBe('CONSOLE.NOT_LOGGED_IN');
    expect(await failure(login(client, { email: ADMIN.email, password: 'wrong password' }))).toMatchObject({
      details: { code: 'email_or_password_mismatch' },
    });
    await login(client, ADMIN);
    expect(await listApps(client)).toEqual([]);
  });

  it('providers: provider-level credentials (openai) and a per-model one; rm removes them', async () => {
    expect(
      await failure(
        addProvider(client, {
          provider: 'openai_api_compatible',
          credentials: { endpoint_url: llm.openaiBaseUrl },
          apiKey: KEY,
        }),
      ),
    ).toMatchObject({ code: 'CLI.USAGE' });
    expect((await failure(addProvider(client, { provider: 'nope' }))).hint).toContain('openai_api_compatible');
    // A wrong key: the provider's refusal comes back as the server's error.
    expect(
      (
        await failure(
          addProvider(client, { provider: 'openai', apiKey: 'sk-wrong', credentials: { openai_api_base: llm.url } }),
        )
      ).code,
    ).toBe('CONSOLE.REFUSED');
    expect(
      await addProvider(client, { provider: 'openai', apiKey: KEY, credentials: { openai_api_base: llm.url } }),
    ).toMatchObject({ scope: 'provider', isDefault: false });
    expect(
      await addProvider(client, {
        provider: 'openai_api_compatible',
        credentials: { endpoint_url: llm.openaiBaseUrl },
        apiKey: KEY,
        model: 'sencha-7b',
      }),
    ).toMatchObject({ scope: 'model', isDefault: true });
    const status = (name: string) =>
      listProviders(client).then((all) => all.find((p) => p.provider === name)?.custom_configuration);
    expect(await status('openai')).toMatchObject({ status: 'active' });
    expect((await status('openai_api_compatible'))?.custom_models).toEqual([
      expect.objectContaining({ model: 'sencha-7b', model_type: 'llm' }),
    ]);
    expect(await removeProvider(client, { provider: 'openai' })).toEqual({ removed: ['openai'] });
    expect(await status('openai')).toMatchObject({ status: 'no-configure' });
  });

  it('apps and keys: create on the default model, resolve by id or name, chat streams events, remove', async () => {
    const app = await createConsoleApp(client, { name: 'Sencha', prePrompt: 'You know green tea.' });
    expect(app.model).toEqual({
      provider: 'openai_api_compatible',
      name: 'sencha-7b',
      mode: 'chat',
      completion_params: {},
    });
    expect((await resolveApp(client, app.id)).name).toBe('Sencha');
    expect((await resolveApp(client, 'Sencha')).id).toBe(app.id);
    expect((await failure(resolveApp(client, 'Matcha'))).code).toBe('CONSOLE.APP_NOT_FOUND');

    const seen: StreamEvent[] = [];
    const first = await chat(client, { app: 'Sencha', query: 'How is sencha made?', onEvent: (e) => seen.push(e) });
    expect(first).toMatchObject({ answer: REPLY, keyCreated: true, conversationId: expect.any(String) });
    expect(seen.map((e) => e.event)).toContain('message_end');
    const second = await chat(client, { app: first.app, query: 'And gyokuro?', conversationId: first.conversationId });
    expect(second).toMatchObject({ conversationId: first.conversationId, keyCreated: false });

    const { key } = await createApiKey(client, 'Sencha');
    const { keys } = await listApiKeys(client, app.id);
    expect(keys.map((k) => k.id)).toContain(key.id);
    expect(keys.every((k) => !k.token.includes(key.token.slice(8)))).toBe(true);
    await removeApiKey(client, 'Sencha', key.id);
    expect((await failure(removeApiKey(client, 'Sencha', key.id))).code).toBe('CLI.USAGE');
    // The removed key was the stored one: chat makes another.
    expect(await chat(client, { app: app.id, query: 'Still there?' })).toMatchObject({
      answer: REPLY,
      keyCreated: true,
    });

    const { yaml } = await exportApp(client, 'Sencha');
    expect(yaml).toContain('You know green tea.');
    const imported = await importApp(client, { yaml, name: 'Sencha copy' });
    expect(imported.status).toMatch(/^completed/);
    expect((await chat(client, { app: 'Sencha copy', query: 'Copy?' })).answer).toBe(REPLY);
    expect(
      (await failure(importApp(client, { yaml: 'kind: app\nworkflow: {}\napp: {mode: workflow, name: W}\n' }))).code,
    ).toBe('CONSOLE.REFUSED');

    // A completion app: created with a `query` input that chat fills.
    const writer = await createConsoleApp(client, {
      name: 'Tea writer',
      mode: 'completion',
      prePrompt: 'Write about tea.',
    });
    const written = await chat(client, { app: writer.id, query: 'Pu-erh' });
    expect(written.answer).toBe(REPLY);
    expect(JSON.stringify(llm.requests().at(-1)?.body)).toContain('Write about tea.\\n\\nPu-erh');
    await removeApp(client, writer.id);

    await removeApp(client, 'Sencha copy');
    expect((await listApps(client)).map((a) => a.name)).toEqual(['Sencha']);
    expect(await removeProvider(client, { provider: 'openai_api_compatible', model: 'sencha-7b' })).toEqual({
      removed: ['openai_api_compatible/sencha-7b'],
    });
    expect(await failure(chat(client, { app: 'Sencha', query: 'No model now?' }))).toMatchObject({
      code: 'CONSOLE.REFUSED',
    });
  });
});
