/**
 * ollama-ai-provider-v2 (3.6) validates every streamed /api/generate line against a schema that
 * requires `context`, which Ollama sends only on the last line: the other lines — the text — would be
 * dropped. This fetch adds `"context": []` where it is missing, so completion mode streams.
 */
const urlOf = (input: Parameters<typeof fetch>[0]): string =>
  typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;

function fixLine(line: string): string {
  try {
    const parsed = JSON.parse(line) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray((parsed as { context?: unknown }).context)) {
      return JSON.stringify({ ...(parsed as object), context: [] });
    }
  } catch {
    // not JSON: the provider reports it
  }
  return line;
}

export function generateContextFix(inner: typeof globalThis.fetch = globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (!urlOf(input).endsWith('/api/generate') || !response.ok || !response.body) return response;
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let pending = '';
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          pending += decoder.decode(chunk, { stream: true });
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) controller.enqueue(encoder.encode(`${line.trim() ? fixLine(line) : line}\n`));
        },
        flush(controller) {
          if (pending.trim()) controller.enqueue(encoder.encode(fixLine(pending)));
        },
      }),
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
