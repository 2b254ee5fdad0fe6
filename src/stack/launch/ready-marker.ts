import type { Settings } from '../../config/schema.js';
import { readReadyMarkerAt } from '../../server/ready-marker.js';
import type { StackState } from '../state.js';
import { dbTarget, redisTarget } from '../targets.js';

/** The api's ready marker (`api_service_status`) where the running stack's db and redis answer. */
export async function readReadyMarker(settings: Settings, state: StackState): Promise<{ value: string; ttlS: number } | undefined> {
  const redis = redisTarget(settings, state);
  const { from: _from, ...db } = dbTarget(settings, state);
  return readReadyMarkerAt({ redis: redis === 'none' ? undefined : redis, db });
}
