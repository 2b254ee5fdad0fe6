import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/server/logger.js';
import { READY_KEY, READY_TTL_SECONDS, startReadyMarker } from '../../src/server/ready-marker.js';
import type { KeyValueStore } from '../../src/server/store/types.js';

/** Records the writes; the marker only calls set(). */
function recordingStore(fail = false) {
  const writes: { key: string; value: string; ttl?: number }[] = [];
  const kv = {
    set: async (key: string, value: string, ttl?: number) => {
      writes.push({ key, value, ttl });
      if (fail) throw new Error('store away');
    },
  } as unknown as KeyValueStore;
  return { kv, writes };
}

describe('startReadyMarker', () => {
  it('writes api_service_status = ready with a 60 s TTL at once and again on every refresh', async () => {
    const { kv, writes } = recordingStore();
    const stop = startReadyMarker({ kv, logger: silentLogger(), refreshMs: 10 });
    try {
      await expect.poll(() => writes.length, { timeout: 2000 }).toBeGreaterThanOrEqual(3);
      expect(writes[0]).toEqual({ key: READY_KEY, value: 'ready', ttl: READY_TTL_SECONDS });
      expect(READY_KEY).toBe('api_service_status');
      expect(READY_TTL_SECONDS).toBe(60);
    } finally {
      stop();
    }
    const after = writes.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(writes.length).toBe(after);
  });

  it('keeps trying when the store fails, without throwing', async () => {
    const { kv, writes } = recordingStore(true);
    const stop = startReadyMarker({ kv, logger: silentLogger(), refreshMs: 10 });
    await expect.poll(() => writes.length, { timeout: 2000 }).toBeGreaterThanOrEqual(2);
    stop();
  });
});
