/**
 * The two renderings of a generation's event stream: blocking (collect it into Dify's message
 * document) and streaming (write it as Dify's SSE, `data: {json}\n\n` per event and `event: ping\n\n`
 * every 10 s). A client that goes away aborts the upstream call through `clientGone`.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { collectBlocking, SSE_PING, sseEvent, type AppEvent, type Generation } from '../../../apps/index.js';
import { appCall } from '../app-errors.js';

/** Dify's ping period (AppQueueManager.listen). */
export const PING_INTERVAL_MS = 10_000;

/** An AbortSignal that fires when the client closes the connection before the answer is complete. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Waits until the stream takes more (drain) or is gone (close). */
const writable = (out: PassThrough): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });

export interface SseOptions {
  pingMs?: number;
  onError?: (error: unknown) => void;
  /** Each event's SSE text ('' for none). @default Dify's `data: {json}\n\n` chunk */
  encode?: (event: AppEvent) => string;
  /** What a ping writes. @default Dify's `event: ping\n\n` */
  ping?: string;
}

/**
 * The SSE body of a generation. The event stream is read to its end even after the client left
 * (the upstream call is aborted by then), so the message row is always completed.
 */
export function sseStream(generation: Generation, options: SseOptions = {}): Readable {
  const out = new PassThrough();
  const encode = options.encode ?? ((event: AppEvent) => sseEvent(generation, event));
  const ping = options.ping ?? SSE_PING;
  const live = (): boolean => !out.destroyed && !out.writableEnded;
  const write = async (text: string): Promise<void> => {
    if (live() && !out.write(text)) await writable(out);
  };
  const pinger = setInterval(() => {
    if (live()) out.write(ping);
  }, options.pingMs ?? PING_INTERVAL_MS);
  pinger.unref();
  void (async () => {
    try {
      for await (const event of generation.events) {
        const text = encode(event);
        if (text) await write(text);
        // An error event ends the stream (as Dify's pipeline breaks after it).
        if (event.event === 'error') break;
      }
    } catch (error) {
      // Only a bug reaches here (the generator turns failures into events): end the stream with one.
      options.onError?.(error);
      await write(
        encode({
          event: 'error',
          code: 'internal_server_error',
          status: 500,
          message: 'Internal Server Error, please contact support.',
        }),
      );
    } finally {
      clearInterval(pinger);
      if (live()) out.end();
    }
  })();
  return out;
}

/** Answers a generation as Dify does for its `response_mode`. */
export async function renderGeneration(
  reply: FastifyReply,
  generation: Generation,
  responseMode: 'blocking' | 'streaming',
  options: { pingMs?: number; onError?: (error: unknown) => void } = {},
): Promise<unknown> {
  if (responseMode === 'blocking') return appCall(() => collectBlocking(generation));
  reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no');
  return reply.send(sseStream(generation, options));
}
