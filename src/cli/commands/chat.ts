import type { AppSummary } from '../../console-client/apps.js';
import type { ConsoleClient } from '../../console-client/http.js';
import type { ChatResult } from '../../console-client/chat.js';
import type { StreamEvent } from '../../console-client/sse.js';
import { collect, connect, keyValues, prompter, readStdin } from '../console-common.js';
import type { CommandContext, CommandDefinition } from '../types.js';
import { interruptedError } from '../../errors/cli-errors.js';

/** One question, streamed to stdout as it arrives (or collected for --json); Ctrl-C stops it. */
async function turn(
  ctx: CommandContext,
  client: ConsoleClient,
  app: AppSummary,
  query: string,
  conversationId: string | undefined,
): Promise<ChatResult> {
  const { chat } = await import('../../console-client/chat.js');
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const write = (event: StreamEvent) => {
    if (ctx.out.json) return;
    if (event.event === 'message' && typeof event.answer === 'string') ctx.out.writeStdout(event.answer);
    if (event.event === 'message_replace' && typeof event.answer === 'string')
      ctx.out.writeStdout(`\n[the answer was replaced]\n${event.answer}`);
  };
  try {
    const result = await chat(client, {
      app,
      query,
      conversationId,
      inputs: keyValues('--input', ctx.options.input),
      user: typeof ctx.options.user === 'string' ? ctx.options.user : undefined,
      signal: controller.signal,
      onEvent: write,
    });
    if (!ctx.out.json) ctx.out.writeStdout('\n');
    if (result.keyCreated) ctx.out.info(`(created an API key for app "${app.name}", kept in .difyctl/console.json)`);
    return result;
  } catch (error) {
    if (controller.signal.aborted) throw interruptedError('the answer was interrupted');
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export const chatCommand: CommandDefinition = {
  path: ['chat'],
  summary: 'ask an app: the answer streams to the terminal (a conversation on a terminal without QUERY)',
  configure: (cmd) =>
    cmd
      .argument('<app>', 'app id or unique name')
      .argument('[query]', 'the question (default: ask on a terminal, else read stdin)')
      .option('--conversation <id>', 'continue this conversation')
      .option('--input <name=value>', "a value of the app's input form (repeatable)", collect)
      .option('--user <id>', 'the end-user id', 'difyctl'),
  run: async (ctx) => {
    const client = await connect(ctx);
    const { resolveApp } = await import('../../console-client/apps.js');
    const app = await resolveApp(client, String(ctx.args[0]));
    let conversation = typeof ctx.options.conversation === 'string' ? ctx.options.conversation : undefined;
    const query = typeof ctx.args[1] === 'string' ? ctx.args[1] : undefined;
    if (query !== undefined || !process.stdin.isTTY || ctx.out.json) {
      const result = await turn(ctx, client, app, query ?? (await readStdin('the question')), conversation);
      if (!ctx.out.json && result.conversationId)
        ctx.out.info(
          ctx.out.color.dim(
            `conversation ${result.conversationId} (continue with --conversation ${result.conversationId})`,
          ),
        );
      return {
        data: {
          app: { id: app.id, name: app.name, mode: app.mode },
          conversation_id: result.conversationId,
          message_id: result.messageId,
          answer: result.answer,
          events: result.events,
        },
      };
    }
    ctx.out.info(ctx.out.color.dim(`chatting with "${app.name}" (${app.mode}); an empty line or Ctrl-D ends`));
    let turns = 0;
    const terminal = await prompter();
    try {
      for (;;) {
        const question = await terminal.ask('> ');
        if (!question) break;
        const result = await turn(ctx, client, app, question, conversation);
        conversation = result.conversationId ?? conversation;
        turns += 1;
      }
    } finally {
      terminal.close();
    }
    return { data: { app: { id: app.id, name: app.name, mode: app.mode }, conversation_id: conversation, turns } };
  },
};
