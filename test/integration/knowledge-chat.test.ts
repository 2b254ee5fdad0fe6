import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/server/logger.js';
import { startWorker, type RunningWorker } from '../../src/server/worker/run-worker.js';
import { DEFAULT_REPLY, startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { json, modelConfig } from './apps-fixtures.js';
import { MODEL, sseEvents, startHarness, waitFor, type Harness } from './apps-harness.js';
import { serverEnv, settingsFor, useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
let llm: StandIn;
useServers((servers) => ({ pg, redis } = servers));

const PARAGRAPHS = [
  'The office opens at eight in the morning and closes at six in the evening.',
  'Employees get twenty-five days of paid holiday every calendar year.',
  'The coffee machine on the third floor is descaled every Friday.',
];

describe('chat and completion apps with knowledge (dataset_configs)', () => {
  let h: Harness;
  let worker: RunningWorker;
  let datasetId: string;
  let holidaySegment: string;

  beforeAll(async () => {
    llm = await startStandIn();
    h = await startHarness({ pg, redis, llm });
    worker = await startWorker({
      server: settingsFor(serverEnv({ db: h.db, redis })),
      queues: ['dataset'],
      logger: silentLogger(),
      runtime: h.app.difyctx.modelRuntime,
    });
    const key = json(await h.app.inject({ method: 'POST', url: '/console/api/datasets/api-keys', headers: h.auth }))
      .token as string;
    const headers = { authorization: `Bearer ${key}` };
    datasetId = json(
      await h.app.inject({
        method: 'POST',
        url: '/v1/datasets',
        headers,
        payload: {
          name: 'Staff handbook',
          indexing_technique: 'high_quality',
          embedding_model: 'text-embedding-3-small',
          embedding_model_provider: 'openai',
        },
      }),
    ).id;
    const created = json(
      await h.app.inject({
        method: 'POST',
        url: `/v1/datasets/${datasetId}/document/create_by_text`,
        headers,
        payload: {
          name: 'handbook',
          text: PARAGRAPHS.join('\n\n'),
          process_rule: {
            mode: 'custom',
            rules: { pre_processing_rules: [], segmentation: { separator: '\n\n', max_tokens: 100 } },
          },
        },
      }),
    );
    await waitFor(
      async () =>
        json(
          await h.app.inject({
            method: 'GET',
            url: `/v1/datasets/${datasetId}/documents/${created.batch}/indexing-status`,
            headers,
          }),
        ).data[0].indexing_status === 'completed',
      'indexing',
      20_000,
    );
    holidaySegment = (
      await h.sql<{ id: string }>(`SELECT id FROM document_segments WHERE content = '${PARAGRAPHS[1]}'`)
    )[0]!.id;
    const datasetConfigs = {
      retrieval_model: 'multiple',
      top_k: 1,
      datasets: { strategy: 'router', datasets: [{ dataset: { enabled: true, id: datasetId } }] },
    };
    for (const [app, extra] of [
      [h.chat, { pre_prompt: 'You answer staff questions.', retriever_resource: { enabled: true } }],
      [
        h.completion,
        {
          pre_prompt: 'Answer: {{question}}',
          dataset_query_variable: 'question',
          user_input_form: [{ 'text-input': { label: 'Question', variable: 'question', required: true } }],
        },
      ],
    ] as const) {
      const saved = await h.app.inject({
        method: 'POST',
        url: `/console/api/apps/${app.appId}/model-config`,
        headers: h.auth,
        payload: modelConfig({ model: MODEL, dataset_configs: datasetConfigs, ...extra }),
      });
      expect(saved.statusCode, saved.body).toBe(200);
    }
  }, 60_000);
  afterAll(async () => {
    await worker?.stop(5000);
    await h?.close();
    await llm?.close();
  });

  const lastChatRequest = () =>
    llm
      .requests()
      .filter((r) => r.path === '/v1/chat/completions')
      .at(-1)!.body as { messages: Array<{ role: string; content: string }> };

  it('retrieves before answering: the context goes to the model, retriever_resources name the segment (blocking and message_end)', async () => {
    const post = (response_mode: string) =>
      h.app.inject({
        method: 'POST',
        url: '/v1/chat-messages',
        headers: { authorization: `Bearer ${h.chat.key}` },
        payload: { inputs: {}, query: PARAGRAPHS[1], user: 'u1', response_mode },
      });
    const blocking = await post('blocking');
    expect(blocking.statusCode, blocking.body).toBe(200);
    const doc = json(blocking);
    expect(doc.answer).toBe(DEFAULT_REPLY);
    expect(doc.metadata.retriever_resources).toHaveLength(1);
    expect(doc.metadata.retriever_resources[0]).toMatchObject({
      position: 1,
      dataset_id: datasetId,
      dataset_name: 'Staff handbook',
      document_name: 'handbook',
      segment_id: holidaySegment,
      content: PARAGRAPHS[1],
      retriever_from: 'api',
      segment_position: 2,
    });
    const system = lastChatRequest().messages[0]!;
    expect(system.role).toBe('system');
    expect(system.content).toContain(`<context>\n${PARAGRAPHS[1]}\n</context>`);
    expect(system.content.endsWith('You answer staff questions.')).toBe(true);
    const events = sseEvents((await post('streaming')).body);
    const end = events.find((e) => e.event === 'message_end')!;
    expect(end.metadata.retriever_resources.map((r: { segment_id: string }) => r.segment_id)).toEqual([holidaySegment]);
    const stored = await h.sql<{ message_metadata: string }>(
      `SELECT message_metadata FROM messages WHERE id = '${doc.message_id}'`,
    );
    expect(JSON.stringify(stored[0]!.message_metadata)).toContain(holidaySegment);
    const listed = json(
      await h.app.inject({
        method: 'GET',
        url: `/v1/messages?conversation_id=${doc.conversation_id}&user=u1`,
        headers: { authorization: `Bearer ${h.chat.key}` },
      }),
    );
    expect(listed.data[0].retriever_resources[0]).toMatchObject({ segment_id: holidaySegment, content: PARAGRAPHS[1] });
  });

  it('refuses to delete a dataset an app uses (409 dataset_in_use)', async () => {
    const key = json(await h.app.inject({ method: 'POST', url: '/console/api/datasets/api-keys', headers: h.auth }))
      .token as string;
    const res = await h.app.inject({
      method: 'DELETE',
      url: `/v1/datasets/${datasetId}`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.statusCode).toBe(409);
    expect(json(res)).toMatchObject({ code: 'dataset_in_use', status: 409 });
    expect(await h.sql(`SELECT 1 FROM datasets WHERE id = '${datasetId}'`)).toHaveLength(1);
  });

  it('completion apps search with the dataset_query_variable input', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/completion-messages',
      headers: { authorization: `Bearer ${h.completion.key}` },
      payload: { inputs: { question: PARAGRAPHS[0] }, user: 'u1', response_mode: 'blocking' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).metadata.retriever_resources[0]).toMatchObject({ content: PARAGRAPHS[0], dataset_id: datasetId });
    expect(JSON.stringify(lastChatRequest().messages)).toContain(PARAGRAPHS[0]);
  });
});
