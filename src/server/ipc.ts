/** Messages between the cluster primary and its api processes (over node:cluster IPC). */
export type PrimaryMessage = { difyctl: 'ping'; seq: number } | { difyctl: 'shutdown' };

export type WorkerMessage =
  | { difyctl: 'pong'; seq: number }
  | { difyctl: 'ready'; address: string }
  /** The process could not start (bad config, port taken): the primary stops instead of respawning. */
  | { difyctl: 'fatal'; error: { code?: string; message: string; hint?: string } };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { difyctl?: unknown }).difyctl === 'string';
}

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  return isWorkerMessage(value);
}
