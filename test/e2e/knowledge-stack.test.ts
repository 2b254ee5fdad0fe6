/**
 * Acceptance for knowledge (issue 12), end to end with real components: `difyctl up -d --mode all`
 * on the embedded default (redis-server from PATH: BullMQ), the LLM stand-in for chat, and for
 * embeddings behind a gate that can hold them back. A dataset with a dataset key; a txt, a pdf and
 * a docx through create-by-file; indexing in the worker until `completed`; retrieval; a chat app
 * whose answers name the right segments; the worker SIGKILLed mid-document and the document still
 * completing once the supervisor has restarted it; deletion leaving no vectors. Once per vector
 * store (VECTOR_STORE + its settings in the project's .env): the default and pgvector (PGlite).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { docx, pdf } from '../helpers/document-files.js';
import { startEmbeddingGate, type EmbeddingGate } from '../helpers/embedding-gate.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import {
  configureEmbedding,
  defaultStoreVariant,
  EMBEDDING_MODEL,
  knowledgeApi,
  pgvectorVariant,
  sseEvents,
  type VectorBackend,
  type VectorStoreVariant,
  waitFor,
} from './knowledge-stack.js';
import { configureProvider, createApp, type Json, MODEL, type Stack, upStack } from './service-api-stack.js';
import { NO_DOCKER } from '../helpers/project.js';

const REPLY = 'Answered from the handbook.';
const TXT = ['Visitors sign in at the front desk.', 'Fire drills take place on the first Monday of each month.'];
const PDF = [['The library lends laptops for two weeks.'], ['Printer toner is ordered by the facilities team.']];
const DOCX = ['Expense reports are due by the fifth working day.', 'Travel must be booked through the portal.'];
/** Long enough for a few segments: the worker is killed while embedding them. */
const SLOW = Array.from({ length: 6 }, (_, i) => `Section ${i + 1} describes parking rules for building ${i + 1}.`);

/** The stores this flow runs on: the default store, and the real pgvector (PGlite, test/e2e/knowledge-stack.ts). */
const VARIANTS: VectorStoreVariant[] = [defaultStoreVariant, pgvectorVariant];

describe.each(VARIANTS.map((v) => [v.name, v] as const))('knowledge on `difyctl up` with %s', (_name, variant) => {
  let llm: StandIn;
  let gate: EmbeddingGate;
  let backend: VectorBackend;
  let stack: Stack;
  let api: ReturnType<typeof knowledgeApi>;
  let datasetId: string;
  const documents: Record<string, { id: string; batch: string }> = {};

  beforeAll(async () => {
    llm = await startStandIn({ reply: REPLY });
    gate = await startEmbeddingGate(llm.url);
    backend = await variant.start();
    stack = await upStack({ redis: true, env: backend.env });
    await configureProvider(stack, llm);
    await configureEmbedding(stack, gate);
    api = knowledgeApi(stack, (await stack.console('POST', '/datasets/api-keys')).token as string);
    datasetId = (
      await api.call('POST', '/datasets', {
        name: 'Office handbook',
        indexing_technique: 'high_quality',
        embedding_model: EMBEDDING_MODEL.name,
        embedding_model_provider: EMBEDDING_MODEL.provider,
      })
    ).id as string;
  }, 300_000);
  afterAll(async () => {
    await stack?.down();
    await backend?.stop();
    await gate?.stop();
    await llm?.close();
  });

  it('indexes a txt, a pdf and a docx uploaded with create-by-file, and retrieval puts the right segment first', async () => {
    const files: Array<[string, string, Buffer]> = [
      ['visitors.txt', 'text/plain', Buffer.from(TXT.join('\n\n'))],
      ['library.pdf', 'application/pdf', pdf(PDF)],
      ['expenses.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', await docx(DOCX)],
    ];
    for (const [name, type, content] of files) {
      const created = await api.upload(datasetId, name, type, content);
      expect(created.document).toMatchObject({ name, indexing_status: 'waiting', data_source_type: 'upload_file' });
      documents[name] = { id: created.document.id, batch: created.batch };
    }
    for (const [name, { batch }] of Object.entries(documents)) {
      const status = await waitFor(
        async () => {
          const s = await api.status(datasetId, batch);
          return ['completed', 'error'].includes(s.indexing_status) ? s : undefined;
        },
        `${name} to be indexed`,
        60_000,
      );
      expect(status, `${name}: ${status.error}`).toMatchObject({
        indexing_status: 'completed',
        completed_segments: 2,
        total_segments: 2,
      });
      expect(await backend.vectors(stack, datasetId, documents[name]!.id), name).toBe(2);
    }
    for (const [query, method, content, document] of [
      [TXT[1], 'semantic_search', TXT[1], 'visitors.txt'],
      [PDF[1]![0], 'semantic_search', PDF[1]![0], 'library.pdf'],
      [DOCX[0], 'semantic_search', DOCX[0], 'expenses.docx'],
      ['laptops library', 'full_text_search', PDF[0]![0], 'library.pdf'],
      ['travel portal', 'keyword_search', DOCX[1], 'expenses.docx'],
      [TXT[0], 'hybrid_search', TXT[0], 'visitors.txt'],
    ] as const) {
      const [first] = await api.retrieve(datasetId, query!, method);
      expect(first?.segment, `${method}: ${query}`).toMatchObject({ content, document: { name: document } });
    }
  }, 180_000);

  it('a chat app with the dataset in dataset_configs names the right segment in retriever_resources (blocking and message_end)', async () => {
    const { appId, key } = await createApp(stack, 'chat', {
      pre_prompt: 'You answer office questions.',
      retriever_resource: { enabled: true },
      dataset_configs: {
        retrieval_model: 'multiple',
        top_k: 1,
        datasets: { strategy: 'router', datasets: [{ dataset: { enabled: true, id: datasetId } }] },
      },
    });
    const [segment] = await stack.sql<{ id: string; document_id: string }>(
      'SELECT id, document_id FROM document_segments WHERE content = $1',
      [PDF[1]![0]],
    );
    const ask = (response_mode: string) =>
      fetch(`${stack.base}/v1/chat-messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: {}, query: PDF[1]![0], user: 'kb-user', response_mode }),
      });
    const blocking = (await (await ask('blocking')).json()) as Json;
    expect(blocking.answer).toBe(REPLY);
    expect(blocking.metadata.retriever_resources).toEqual([
      expect.objectContaining({
        position: 1,
        dataset_id: datasetId,
        dataset_name: 'Office handbook',
        document_id: segment!.document_id,
        document_name: 'library.pdf',
        segment_id: segment!.id,
        content: PDF[1]![0],
        segment_position: 2,
      }),
    ]);
    // The model was asked with the segment as its context.
    const asked = llm.requests().findLast((r) => JSON.stringify(r.body).includes('<context>'));
    expect(JSON.stringify(asked?.body)).toContain(JSON.stringify(`<context>\n${PDF[1]![0]}\n</context>`).slice(1, -1));
    const events = sseEvents(await (await ask('streaming')).text());
    const end = events.find((e) => e.event === 'message_end');
    expect(end?.metadata.retriever_resources.map((r: Json) => [r.segment_id, r.document_name])).toEqual([
      [segment!.id, 'library.pdf'],
    ]);
    // The app lets the dataset go, so the last test may delete it.
    await stack.console('POST', `/apps/${appId}/model-config`, {
      model: MODEL,
      pre_prompt: 'You answer office questions.',
    });
  });

  it('a worker SIGKILLed while embedding a document is restarted by its supervisor, and the document completes once', async () => {
    gate.close();
    const before = gate.count();
    const created = await api.upload(datasetId, 'parking.txt', 'text/plain', Buffer.from(SLOW.join('\n\n')));
    const documentId = created.document.id as string;
    // The worker has split the document and asked for its first embeddings: it is mid-document.
    await gate.arrived(before + 1);
    const [row] = await stack.sql<{ indexing_status: string; segments: string }>(
      'SELECT indexing_status, (SELECT count(*) FROM document_segments WHERE document_id = $1) AS segments FROM documents WHERE id = $1',
      [documentId],
    );
    expect(row).toEqual({ indexing_status: 'indexing', segments: String(SLOW.length) });
    const ps = async () =>
      (
        JSON.parse(
          (await runCli(['ps', '--json'], { cwd: stack.dir, env: { DOCKER_HOST: NO_DOCKER.DOCKER_HOST } })).stdout,
        ) as { data: { services: Json[] } }
      ).data.services;
    const worker = (await ps()).find((s) => s.service === 'worker')!;
    expect(worker.pid).toEqual(expect.any(Number));
    process.kill(worker.pid as number, 'SIGKILL');
    const restarted = await waitFor(
      async () => {
        const w = (await ps()).find((s) => s.service === 'worker');
        return w?.pid && w.pid !== worker.pid && w.state === 'running' ? w : undefined;
      },
      'the supervisor to restart the worker',
      60_000,
    );
    expect(restarted.restarts).toBeGreaterThan(worker.restarts ?? 0);
    gate.open();
    const status = await waitFor(
      async () => {
        const s = await api.status(datasetId, created.batch);
        return ['completed', 'error'].includes(s.indexing_status) ? s : undefined;
      },
      'the interrupted document to complete',
      150_000,
    );
    expect(status).toMatchObject({ indexing_status: 'completed', completed_segments: SLOW.length });
    const segments = await stack.sql<{ content: string }>(
      'SELECT content FROM document_segments WHERE document_id = $1 ORDER BY position',
      [documentId],
    );
    expect(segments.map((s) => s.content)).toEqual(SLOW);
    expect(await backend.vectors(stack, datasetId, documentId)).toBe(SLOW.length);
    const [first] = await api.retrieve(datasetId, SLOW[4]!, 'semantic_search', 1);
    expect(first?.segment.content).toBe(SLOW[4]);
    documents['parking.txt'] = { id: documentId, batch: created.batch };
  }, 240_000);

  it('deleting a document and then the dataset leaves none of their vectors or segments', async () => {
    const { id } = documents['library.pdf']!;
    expect(await backend.vectors(stack, datasetId, id)).toBe(2);
    await api.call('DELETE', `/datasets/${datasetId}/documents/${id}`);
    expect(await backend.vectors(stack, datasetId, id)).toBe(0);
    expect(await stack.sql('SELECT 1 FROM document_segments WHERE document_id = $1', [id])).toEqual([]);
    const left = await api.retrieve(datasetId, PDF[1]![0], 'semantic_search');
    expect(left.map((r) => r.segment.document.name)).not.toContain('library.pdf');
    expect(await backend.vectors(stack, datasetId)).toBeGreaterThan(0);
    await api.call('DELETE', `/datasets/${datasetId}`);
    expect(await backend.vectors(stack, datasetId)).toBe(0);
    expect(await stack.sql('SELECT 1 FROM document_segments WHERE dataset_id = $1', [datasetId])).toEqual([]);
    expect(await stack.sql('SELECT 1 FROM documents WHERE dataset_id = $1', [datasetId])).toEqual([]);
  });
});
