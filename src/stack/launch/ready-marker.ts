import type { Settings } from '../../config/schema.js';
import { readReadyMarkerAt } from '../../server/ready-marker.js';
import { cacheTarget, type RedisTarget } from '../../config/redis-target.js';
import { isManagedRedis } from '../ready/redis-managed.js';
import type { StackState } from '../state.js';
import { dbTarget, redisTarget } from '../targets.js';

/** The api's ready marker (`api_service_status`) where the running stack's db and redis answer. */
export async function readReadyMarker(
  settings: Settings,
  state: StackState,
): Promise<{ value: string; ttlS: number } | undefined> {
  const redis = redisTarget(settings, state);
  const { from: _from, ...db } = dbTarget(settings, state);
  // A managed Redis (sentinels, cluster, TLS) is read the way the api reaches it.
  let managedRedis: RedisTarget | undefined;
  try {
    managedRedis = redis !== 'none' && isManagedRedis(settings) ? cacheTarget(settings) : undefined;
  } catch {
    return undefined; // an unreadable certificate file: `up` and `doctor` name it; the marker is unknown
  }
  return readReadyMarkerAt({ redis: redis === 'none' ? undefined : redis, managedRedis, db });
}
