import { askSecret, connect, prompter, readStdin } from '../console-common.js';
import type { CommandContext, CommandDefinition } from '../types.js';
import { usageError } from '../../errors/cli-errors.js';

/** Email and password from the options and stdin, or asked on the terminal. */
async function credentials(
  ctx: CommandContext,
  command: string,
  withName: boolean,
): Promise<{ email: string; password: string; name?: string }> {
  const o = ctx.options;
  const tty = Boolean(process.stdin.isTTY) && o.passwordStdin !== true;
  let email = typeof o.email === 'string' ? o.email : undefined;
  let name = typeof o.name === 'string' ? o.name : undefined;
  if (!tty && (!email || o.passwordStdin !== true)) {
    throw usageError(`${command} needs --email and --password-stdin when there is no terminal to ask on`, {
      hint: `\`printf %s "$PASSWORD" | difyctl ${command} --email admin@example.com${withName ? ' --name Admin' : ''} --password-stdin\``,
    });
  }
  if (tty && (!email || (withName && !name))) {
    const terminal = await prompter();
    try {
      if (!email) email = await terminal.ask('Email: ');
      if (email && withName && !name) name = (await terminal.ask(`Name [${email.split('@')[0]}]: `)) || undefined;
    } finally {
      terminal.close();
    }
  }
  if (!email) throw usageError('no email given');
  const password = o.passwordStdin === true ? await readStdin('--password-stdin') : await askSecret('Password: ');
  return { email, password, name };
}

const signedIn = (ctx: CommandContext, what: string, r: { email: string; server: string; sessionFile: string }) => {
  ctx.out.print(`${what} ${r.email} at ${r.server}; the session is kept in ${r.sessionFile} (mode 0600)`);
  return { data: { email: r.email, server: r.server, sessionFile: r.sessionFile } };
};

export const setupCommand: CommandDefinition = {
  path: ['setup'],
  summary: 'create the first admin of the running server (asks on a terminal), then sign in as it',
  configure: (cmd) =>
    cmd
      .option('--email <email>', "the admin's email")
      .option('--name <name>', "the admin's name (default: the email's local part)")
      .option('--password-stdin', 'read the password from stdin'),
  run: async (ctx) => {
    const client = await connect(ctx);
    const { setupAdmin } = await import('../../console-client/account.js');
    return signedIn(
      ctx,
      'admin created and signed in:',
      await setupAdmin(client, await credentials(ctx, 'setup', true)),
    );
  },
};

export const loginCommand: CommandDefinition = {
  path: ['login'],
  summary: 'sign in to the running server; the session (refreshed as needed) stays in .difyctl/',
  configure: (cmd) =>
    cmd.option('--email <email>', 'the account email').option('--password-stdin', 'read the password from stdin'),
  run: async (ctx) => {
    const client = await connect(ctx);
    const { login } = await import('../../console-client/account.js');
    return signedIn(ctx, 'signed in:', await login(client, await credentials(ctx, 'login', false)));
  },
};

export const logoutCommand: CommandDefinition = {
  path: ['logout'],
  summary: 'sign out: revoke the stored session and forget it',
  run: async (ctx) => {
    const client = await connect(ctx);
    const { logout } = await import('../../console-client/account.js');
    const result = await logout(client);
    ctx.out.print(result.signedOut ? 'signed out' : 'no session was stored');
    return { data: result };
  },
};
