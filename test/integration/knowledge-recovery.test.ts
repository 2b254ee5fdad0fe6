import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/server/logger.js';
import { startWorker, type RunningWorker } from '../../src/server/worker/run-worker.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { json } from './apps-fixtures.js';
import { startHarness, waitFor, type Harness } from './apps-harness.js';
import { serverEnv, settingsFor, useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
let llm: StandIn;
useServers((servers) => ({ pg, redis } = servers));

describe.each([
  ['with Redis (BullMQ)', true],
  ['without Redis (pg-boss)', false],
])('a document a killed worker left half-indexed %s', (_name, withRedis) => {
  let h: Harness;
  let worker: RunningWorker | undefined;

  beforeAll(async () => {
    llm = await startStandIn();
    h = await startHarness({ pg, redis: withRedis ? redis : undefined, llm });
  });
  afterAll(async () => {
    await worker?.stop(5000);
    await h?.close();
    await llm?.close();
  });

  it('is queued again by the next worker and completes with its segments exactly once; the sweep prunes the vector change log', async () => {
    const headers = {
      authorization: `Bearer ${json(await h.app.inject({ method: 'POST', url: '/console/api/datasets/api-keys', headers: h.auth })).token}`,
    };
    const datasetId = json(
      await h.app.inject({
        method: 'POST',
        url: '/v1/datasets',
        headers,
        payload: {
          name: 'Recovered',
          indexing_technique: 'high_quality',
          embedding_model: 'text-embedding-3-small',
          embedding_model_provider: 'openai',
        },
      }),
    ).id as string;
    // The state a worker killed while embedding leaves: the row in `indexing`, no longer moving, and
    // some segments written without vectors. No task is queued for it any more.
    const [doc] = await h.sql<{ id: string }>(
      `INSERT INTO documents (tenant_id, dataset_id, position, name, batch, source_text, data_source_info, indexing_status, processing_started_at, updated_at)
       VALUES ('${h.tenantId}', '${datasetId}', 1, 'crashed', '20261130000000123456', 'First part.\n\nSecond part.', '{"extension": "txt"}', 'indexing', now() - interval '1 hour', now() - interval '1 hour') RETURNING id`,
    );
    await h.sql(
      `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, status) VALUES ('${h.tenantId}', '${datasetId}', '${doc!.id}', 1, 'stale half', 'indexing')`,
    );
    // The default store's change log, two rows of which are older than the retention (an hour).
    await h.sql(
      `INSERT INTO vector_changes (dataset_id, segment_id, created_at) SELECT '${datasetId}', gen_random_uuid(), now() - interval '2 hours' FROM generate_series(1, 2)`,
    );
    worker = await startWorker({
      server: settingsFor(serverEnv({ db: h.db, redis: withRedis ? redis : undefined })),
      queues: ['dataset'],
      logger: silentLogger(),
      runtime: h.app.difyctx.modelRuntime,
      knowledgeStallMs: 1000,
      pollingIntervalSeconds: 0.5,
    });
    const status = await waitFor(
      async () => {
        const s = json(
          await h.app.inject({
            method: 'GET',
            url: `/v1/datasets/${datasetId}/documents/20261130000000123456/indexing-status`,
            headers,
          }),
        ).data[0];
        return s.indexing_status === 'completed' || s.indexing_status === 'error' ? s : undefined;
      },
      'the abandoned document to complete',
      20_000,
    );
    expect(status).toMatchObject({ indexing_status: 'completed', completed_segments: 1, total_segments: 1 });
    const segments = await h.sql<{ content: string; has_vector: boolean }>(
      `SELECT content, embedding IS NOT NULL AS has_vector FROM document_segments WHERE document_id = '${doc!.id}'`,
    );
    expect(segments).toEqual([{ content: 'First part.\n\nSecond part.', has_vector: true }]);
    // The same sweep pruned the change log: of the old rows, one dataset-wide record is left.
    const old = await waitFor(async () => {
      const rows = await h.sql<{ segment_id: string | null }>(
        `SELECT segment_id FROM vector_changes WHERE dataset_id = '${datasetId}' AND created_at < now() - interval '1 hour'`,
      );
      return rows.length === 1 ? rows : undefined;
    }, 'the old change rows to be pruned');
    expect(old).toEqual([{ segment_id: null }]);
  });
});
