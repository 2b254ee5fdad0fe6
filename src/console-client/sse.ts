/** Dify's SSE (`data: {json}\n\n` per event, `event: ping\n\n` between) as parsed events. */

export interface StreamEvent {
  event: string;
  [key: string]: unknown;
}

export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  const frames = function* (final: boolean): Generator<StreamEvent> {
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0 || (final && buffer.trim())) {
      const frame = cut >= 0 ? buffer.slice(0, cut) : buffer;
      buffer = cut >= 0 ? buffer.slice(cut + 2) : '';
      const data = frame
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (!data) continue; // event: ping, comments
      const parsed = JSON.parse(data) as StreamEvent; // Dify's event JSON
      yield parsed;
    }
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, '\n');
    yield* frames(false);
  }
  buffer += decoder.decode();
  yield* frames(true);
}
