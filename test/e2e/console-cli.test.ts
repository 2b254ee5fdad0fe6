/**
 * Acceptance of the console from the terminal: from an empty project, only difyctl commands —
 * `init`, `up -d`, `setup`, `providers add` (pointed at the LLM stand-in), `apps create` /
 * `apps import`, `keys create`, `chat` — and the stand-in's answer comes back. No curl, no fetch:
 * every step is the CLI as a process, as a user's script would run it.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, baseEnv, runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import { NO_DOCKER } from '../helpers/project.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON
type Json = Record<string, any>;

const REPLY = 'Oolong sits between green and black tea.';
const ADMIN = { email: 'admin@example.com', name: 'Admin', password: 'correct-horse-battery-1' };
const LLM_KEY = 'sk-stand-in-key-0042';

let llm: StandIn;
let project: { dir: string; cleanup: () => Promise<void> };
/** `export DIFY_PORT=…` of the user's script (a free port), and no Docker: the embedded default. */
let env: Record<string, string>;

const difyctl = (args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> =>
  runCli(args, { cwd: project.dir, env, ...options });
const json = (result: CliResult): Json => JSON.parse(result.stdout) as Json;
const ok = (result: CliResult): CliResult => {
  expect(result.exitCode, result.stderr).toBe(0);
  return result;
};

/**
 * The CLI on a pseudo-terminal (util-linux `script`), driven as a person would: wait for a prompt,
 * type the answer. Output is the terminal's (stdout and stderr, and what it echoes).
 */
function terminal(args: string[]) {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const child = spawn('script', ['-qec', [process.execPath, BIN, ...args].map(quote).join(' '), '/dev/null'], {
    cwd: project.dir,
    env: { ...baseEnv(), NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  let ended = false;
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1))).finally(() => {
    ended = true;
  });
  // readline's cursor moves (ESC [ 1 G …) are not text.
  const plain = () => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''); // eslint-disable-line no-control-regex
  return {
    output: plain,
    send: (input: string) => void child.stdin.write(input),
    waitFor: async (re: RegExp, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(plain())) {
        if (ended || Date.now() > deadline)
          throw new Error(`${ended ? 'exited' : 'timed out'} waiting for ${re} in:\n${plain()}`);
        await Promise.race([
          new Promise((r) => child.stdout.once('data', r)),
          exited,
          new Promise((r) => setTimeout(r, 1000)),
        ]);
      }
    },
    exit: async () => {
      child.stdin.end();
      return exited;
    },
  };
}

beforeAll(async () => {
  llm = await startStandIn({ reply: REPLY, apiKeys: [LLM_KEY] });
  project = await tempDir('difyctl-console-');
  // The embedded PostgreSQL runs as the postgres user when we are root: it must enter the dir.
  await import('node:fs/promises').then((fs) => fs.chmod(project.dir, 0o755));
  env = { DOCKER_HOST: NO_DOCKER.DOCKER_HOST, DIFY_PORT: String(await getPort()) };
}, 60_000);

afterAll(async () => {
  if (project) {
    await runCli(['down', '--volumes'], { cwd: project.dir, env, timeoutMs: 120_000 });
    await project.cleanup();
  }
  await llm?.close();
}, 180_000);

describe('difyctl console commands against a running stack', () => {
  it('before up: a clear error naming `difyctl up -d`', async () => {
    ok(await difyctl(['init']));
    const res = await difyctl(['apps', 'list', '--json']);
    expect(res.exitCode).toBe(1);
    const body = json(res);
    expect(body.error.code).toBe('CONSOLE.UNREACHABLE');
    expect(body.error.hint).toContain('difyctl up -d');
    const text = await difyctl(['setup', '--email', ADMIN.email, '--password-stdin'], { input: ADMIN.password });
    expect(text.exitCode).toBe(1);
    expect(text.stderr).toMatch(/no API server answers at http:\/\/127\.0\.0\.1:\d+.*CONSOLE\.UNREACHABLE/);
    expect(text.stderr).toContain('`difyctl up -d`');
  }, 60_000);

  it('init, up -d, setup, providers add, apps create, keys create, chat: the stand-in answers', async () => {
    ok(await difyctl(['up', '-d'], { timeoutMs: 240_000 }));

    // Not signed in yet: the console commands say what to run.
    const early = await difyctl(['apps', 'list', '--json']);
    expect(early.exitCode).toBe(1);
    expect(json(early).error).toMatchObject({
      code: 'CONSOLE.NOT_LOGGED_IN',
      hint: expect.stringContaining('difyctl setup'),
    });

    const setup = ok(
      await difyctl(['setup', '--email', ADMIN.email, '--name', ADMIN.name, '--password-stdin', '--json'], {
        input: `${ADMIN.password}\n`,
      }),
    );
    expect(json(setup).data).toMatchObject({ email: ADMIN.email });
    // The session is kept 0600 in the project, and its tokens are never printed.
    const sessionFile = path.join(project.dir, '.difyctl', 'console.json');
    expect((await stat(sessionFile)).mode & 0o777).toBe(0o600);
    const session = JSON.parse(await readFile(sessionFile, 'utf8')) as Json;
    expect(session.access_token).toEqual(expect.any(String));
    expect(session.refresh_token).toEqual(expect.any(String));
    expect(setup.stdout + setup.stderr).not.toContain(session.access_token);
    expect(setup.stdout + setup.stderr).not.toContain(session.refresh_token);

    const again = await difyctl(['setup', '--email', ADMIN.email, '--password-stdin'], { input: ADMIN.password });
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('already_setup');
    expect(again.stderr).toContain('difyctl login');

    const add = ok(
      await difyctl(
        [
          'providers',
          'add',
          'openai_api_compatible',
          '--endpoint-url',
          llm.openaiBaseUrl,
          '--api-key-stdin',
          '--model',
          'llama3',
          '--json',
        ],
        { input: LLM_KEY },
      ),
    );
    expect(json(add).data).toMatchObject({
      provider: 'openai_api_compatible',
      model: 'llama3',
      scope: 'model',
      isDefault: true,
    });
    expect(add.stdout).not.toContain(LLM_KEY);
    const providers = json(ok(await difyctl(['providers', 'list', '--json']))).data.providers as Json[];
    expect(providers.find((p) => p.provider === 'openai_api_compatible')).toMatchObject({
      status: 'active',
      models: ['llama3 (llm)'],
    });

    const app = json(ok(await difyctl(['apps', 'create', 'Tea helper', '--json']))).data;
    expect(app).toMatchObject({
      name: 'Tea helper',
      mode: 'chat',
      model: { provider: 'openai_api_compatible', name: 'llama3', mode: 'chat' },
    });

    const key = ok(await difyctl(['keys', 'create', 'Tea helper']));
    expect(key.stdout.trim()).toMatch(/^app-\S{20,}$/);

    const chat = ok(await difyctl(['chat', 'Tea helper', 'hello']));
    expect(chat.stdout).toBe(REPLY);
    expect(chat.stderr).toMatch(/conversation [0-9a-f-]{36}/);
    // The stand-in got the question with the key given to providers add.
    const request = llm.requests().findLast((r) => JSON.stringify(r.body).includes('hello'));
    expect(request?.path).toBe('/v1/chat/completions');
  }, 360_000);

  it('chat --json gives the events; --conversation continues; APP by id or name; keys list/rm; apps rm', async () => {
    const first = json(ok(await difyctl(['chat', 'Tea helper', 'What is oolong?', '--json'])));
    expect(first.ok).toBe(true);
    expect(first.data.answer).toBe(REPLY);
    const events = first.data.events as Json[];
    expect(
      events
        .filter((e) => e.event === 'message')
        .map((e) => e.answer)
        .join(''),
    ).toBe(REPLY);
    expect(events.at(-1)).toMatchObject({ event: 'message_end', conversation_id: first.data.conversation_id });

    const appId = first.data.app.id as string;
    llm.setReply('Yes, it is.');
    const second = json(
      ok(await difyctl(['chat', appId, 'Is it oxidised?', '--conversation', first.data.conversation_id, '--json'])),
    );
    expect(second.data).toMatchObject({ conversation_id: first.data.conversation_id, answer: 'Yes, it is.' });
    // The continued conversation sent the earlier turn as history.
    const history = JSON.stringify(
      llm.requests().findLast((r) => JSON.stringify(r.body).includes('Is it oxidised?'))?.body,
    );
    expect(history).toContain('What is oolong?');
    llm.setReply(REPLY);

    const missing = await difyctl(['chat', 'No such app', 'hi', '--json']);
    expect(missing.exitCode).toBe(1);
    expect(json(missing).error.code).toBe('CONSOLE.APP_NOT_FOUND');

    const keys = json(ok(await difyctl(['keys', 'list', 'Tea helper', '--json']))).data.keys as Json[];
    expect(keys).toHaveLength(1);
    expect(keys[0]?.token).toMatch(/^app-.{4}…$/);
    ok(await difyctl(['keys', 'rm', 'Tea helper', keys[0]?.id]));
    expect(json(ok(await difyctl(['keys', 'list', appId, '--json']))).data.keys).toEqual([]);
    // Its stored key revoked, chat makes a new one and says so.
    const after = ok(await difyctl(['chat', 'Tea helper', 'hello again']));
    expect(after.stdout).toBe(REPLY);
    expect(after.stderr).toContain('created an API key');

    ok(await difyctl(['apps', 'create', 'Twin']));
    ok(await difyctl(['apps', 'create', 'Twin']));
    const twins = await difyctl(['apps', 'rm', 'Twin', '--json']);
    expect(twins.exitCode).toBe(2);
    expect(json(twins).error.code).toBe('CONSOLE.APP_AMBIGUOUS');
    const listed = json(ok(await difyctl(['apps', 'list', '--json']))).data.apps as Json[];
    for (const twin of listed.filter((a) => a.name === 'Twin')) ok(await difyctl(['apps', 'rm', twin.id]));
    expect((json(ok(await difyctl(['apps', 'list', '--json']))).data.apps as Json[]).map((a) => a.name)).toEqual([
      'Tea helper',
    ]);
  }, 240_000);

  it('the session: an expired access token is refreshed; logout, then login', async () => {
    const sessionFile = path.join(project.dir, '.difyctl', 'console.json');
    const before = JSON.parse(await readFile(sessionFile, 'utf8')) as Json;
    await writeFile(sessionFile, JSON.stringify({ ...before, access_token: 'expired.or.forged' }), { mode: 0o600 });
    ok(await difyctl(['apps', 'list']));
    const after = JSON.parse(await readFile(sessionFile, 'utf8')) as Json;
    expect(after.access_token).not.toBe('expired.or.forged');
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect((await stat(sessionFile)).mode & 0o777).toBe(0o600);

    ok(await difyctl(['logout']));
    const out = await difyctl(['apps', 'list', '--json']);
    expect(json(out).error).toMatchObject({
      code: 'CONSOLE.NOT_LOGGED_IN',
      hint: expect.stringContaining('difyctl login'),
    });
    const wrong = await difyctl(['login', '--email', ADMIN.email, '--password-stdin'], { input: 'not-the-password' });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toContain('email_or_password_mismatch');
    const login = ok(await difyctl(['login', '--email', ADMIN.email, '--password-stdin'], { input: ADMIN.password }));
    expect(login.stdout).toContain(`signed in: ${ADMIN.email}`);
    ok(await difyctl(['apps', 'list']));
    const noTty = await difyctl(['login', '--email', ADMIN.email]);
    expect(noTty.exitCode).toBe(2);
    expect(noTty.stderr).toContain('--password-stdin');
  }, 120_000);

  it('on a terminal: login asks (the password unechoed), chat without QUERY is a conversation', async () => {
    const login = terminal(['login']);
    await login.waitFor(/Email: $/);
    login.send(`${ADMIN.email}\r`);
    await login.waitFor(/Password: $/);
    const before = login.output().length;
    login.send(`${ADMIN.password}\r`);
    expect(await login.exit()).toBe(0);
    expect(login.output()).toContain(`signed in: ${ADMIN.email}`);
    expect(login.output().slice(before)).not.toContain(ADMIN.password);

    const chat = terminal(['chat', 'Tea helper']);
    await chat.waitFor(/> $/);
    chat.send('What is oolong?\r');
    await chat.waitFor(new RegExp(`${REPLY}[\\s\\S]*> $`));
    llm.setReply('Partly oxidised.');
    chat.send('Oxidised?\r');
    await chat.waitFor(/Partly oxidised\.[\s\S]*> $/);
    chat.send('\r');
    expect(await chat.exit()).toBe(0);
    llm.setReply(REPLY);

    // Ctrl-C while an answer streams stops it: exit 130, as any interrupted command.
    llm.mock.prependFixture({
      match: { userMessage: 'Tell me slowly' },
      response: { content: 'abcd'.repeat(300) },
      chunkSize: 4,
      latency: 20,
    });
    const slow = terminal(['chat', 'Tea helper']);
    await slow.waitFor(/> $/);
    slow.send('Tell me slowly\r');
    await slow.waitFor(/(abcd){5}/);
    slow.send('\u0003');
    expect(await slow.exit()).toBe(130);
    expect(slow.output()).toContain('CLI.INTERRUPTED');
    expect(slow.output()).not.toContain('abcd'.repeat(300));
    // Both turns went to one conversation: the second request carried the first as history.
    expect(
      JSON.stringify(llm.requests().findLast((r) => JSON.stringify(r.body).includes('Oxidised?'))?.body),
    ).toContain('What is oolong?');
  }, 120_000);

  it('apps import FILE.yml answers; apps export gives Dify DSL that imports again', async () => {
    const dsl = [
      'app:',
      '  mode: chat',
      '  name: Imported tea helper',
      '  icon: "🍵"',
      'kind: app',
      'version: 0.1.5',
      'model_config:',
      '  model:',
      '    provider: openai_api_compatible',
      '    name: llama3',
      '    mode: chat',
      '    completion_params:',
      '      temperature: 0.3',
      '  pre_prompt: You answer questions about tea.',
      '',
    ].join('\n');
    const file = path.join(project.dir, 'dsl', 'tea.yml');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, dsl);
    const importRun = ok(await difyctl(['apps', 'import', file, '--json']));
    const imported = json(importRun).data;
    expect(imported).toMatchObject({ status: expect.stringMatching(/^completed/), app_id: expect.any(String) });
    // Warnings (an older DSL version…) are printed, one a line.
    for (const w of (imported.warnings ?? []) as Json[]) expect(importRun.stderr).toContain(w.message);
    const chat = ok(await difyctl(['chat', 'Imported tea helper', 'hello tea']));
    expect(chat.stdout).toBe(REPLY);
    // The chat's own request (the worker's naming request also quotes 'hello tea', and may come later).
    const asked = llm.requests().map((r) => JSON.stringify(r.body));
    expect(asked.filter((b) => b.includes('hello tea') && !b.includes('short title'))).toEqual([
      expect.stringContaining('You answer questions about tea.'),
    ]);

    const exported = ok(await difyctl(['apps', 'export', imported.app_id]));
    expect(exported.stdout).toMatch(/^kind: app$/m);
    expect(exported.stdout).toContain('You answer questions about tea.');
    const out = path.join(project.dir, 'dsl', 'copy.yml');
    ok(await difyctl(['apps', 'export', 'Imported tea helper', '-o', out]));
    expect(await readFile(out, 'utf8')).toBe(`${exported.stdout}\n`);
    const again = json(ok(await difyctl(['apps', 'import', out, '--name', 'Tea helper copy', '--json']))).data;
    expect(again.app_id).not.toBe(imported.app_id);
    expect(ok(await difyctl(['chat', 'Tea helper copy', 'hello copy'])).stdout).toBe(REPLY);

    const missing = await difyctl(['apps', 'import', path.join(project.dir, 'nope.yml')]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('nope.yml');
  }, 120_000);
});
