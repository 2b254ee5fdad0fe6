/**
 * A loopback proxy in front of an OpenAI-compatible server (the LLM stand-in) that can hold
 * embedding requests back: a test closes the gate, waits until a request has arrived (an event,
 * not a sleep), does what it needs while the caller is mid-way (e.g. kills the worker that is
 * indexing), then opens the gate and every held request goes on upstream.
 *
 *   const gate = await startEmbeddingGate(llm.url);
 *   // endpoint_url of a text-embedding model: gate.openaiBaseUrl
 *   gate.close(); …; await gate.arrived(1); …; gate.open();
 *   await gate.stop();
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EmbeddingGate {
  url: string;
  /** url + '/v1' */
  openaiBaseUrl: string;
  /** Embedding requests seen so far (held or passed). */
  count(): number;
  /** Resolves once `n` embedding requests have arrived in all. */
  arrived(n: number): Promise<void>;
  /** Hold later embedding requests until open(). */
  close(): void;
  /** Let held and later requests through. */
  open(): void;
  stop(): Promise<void>;
}

export async function startEmbeddingGate(upstream: string): Promise<EmbeddingGate> {
  let seen = 0;
  let opened: Promise<void> = Promise.resolve();
  let release: (() => void) | undefined;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url?.endsWith('/embeddings')) {
      seen++;
      for (const w of waiters.filter((w) => seen >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      await opened;
    }
    try {
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'authorization']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const answer = await fetch(`${upstream}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch (error) {
      // The caller may be gone (a killed worker): nothing to answer.
      if (!res.destroyed) res.writeHead(502).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`; // listen() on a TCP port
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    count: () => seen,
    arrived: (n) => (seen >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () => {
      if (release) return;
      opened = new Promise((resolve) => {
        release = resolve;
      });
    },
    open: () => {
      release?.();
      release = undefined;
    },
    stop: async () => {
      release?.();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
