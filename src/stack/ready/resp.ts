import net from 'node:net';

/** A reply of Redis: a status or integer line, or the server's error (`-ERR …`, `-WRONGPASS …`). */
export type RespReply = { ok: true; value: string } | { ok: false; error: string };

const encode = (args: string[]) =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/**
 * Sends commands to Redis in one round trip and reads one reply each: the few bytes a readiness
 * probe needs (AUTH, SELECT, PING), without loading a client library on every `up` and `ps`.
 * Only status, error, integer and bulk-string replies are read; rejects on socket errors and timeout.
 */
export function redisCommands(args: {
  host: string;
  port: number;
  commands: string[][];
  timeoutMs: number;
}): Promise<RespReply[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: args.host, port: args.port });
    const replies: RespReply[] = [];
    let buffer = '';
    const finish = (error?: Error) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(replies);
    };
    socket.setTimeout(args.timeoutMs, () =>
      finish(
        Object.assign(new Error(`no answer from ${args.host}:${args.port} within ${args.timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        }),
      ),
    );
    socket.once('error', (error) => finish(error));
    socket.once('close', () =>
      finish(
        replies.length < args.commands.length
          ? Object.assign(new Error('Connection is closed'), { code: 'ECONNRESET' })
          : undefined,
      ),
    );
    socket.once('connect', () => socket.write(args.commands.map(encode).join('')));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (
        let end = buffer.indexOf('\r\n');
        end >= 0 && replies.length < args.commands.length;
        end = buffer.indexOf('\r\n')
      ) {
        const line = buffer.slice(0, end);
        const type = line[0];
        if (type === '$') {
          const size = Number(line.slice(1));
          if (size < 0) {
            replies.push({ ok: true, value: '' });
            buffer = buffer.slice(end + 2);
            continue;
          }
          if (buffer.length < end + 2 + size + 2) break; // the rest of the bulk string is still coming
          replies.push({ ok: true, value: buffer.slice(end + 2, end + 2 + size) });
          buffer = buffer.slice(end + 2 + size + 2);
          continue;
        }
        replies.push(type === '-' ? { ok: false, error: line.slice(1) } : { ok: true, value: line.slice(1) });
        buffer = buffer.slice(end + 2);
      }
      if (replies.length >= args.commands.length) finish();
    });
  });
}
