/** The one JSON document `--json` prints on stdout (SPEC §2). */
export interface Envelope {
  ok: boolean;
  command: string;
  data: unknown;
  error?: Record<string, unknown>;
}

export function successEnvelope(command: string, data: unknown): Envelope {
  return { ok: true, command, data: data ?? null };
}

export function failureEnvelope(command: string, error: Record<string, unknown>, data?: unknown): Envelope {
  return { ok: false, command, data: data ?? null, error };
}

export function renderEnvelope(envelope: Envelope): string {
  return `${JSON.stringify(envelope, null, 2)}\n`;
}
