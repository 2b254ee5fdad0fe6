import type { Settings } from '../../config/schema.js';
import { dbTarget, stackState } from '../targets.js';
import { SETTINGS_DO_NOT_PARSE, type Check, type CheckResult, type DoctorContext } from '../types.js';
import { probeDefaultStore, probePgvector } from './vector-postgres.js';

const SUPPORTED = ['postgres', 'pgvector', 'weaviate'];

/**
 * The store VECTOR_STORE names, probed as the server would use it: `pgvector` → login and the
 * extension on PGVECTOR_*; `weaviate` → WEAVIATE_ENDPOINT's /v1/.well-known/ready, then /v1/meta with
 * WEAVIATE_API_KEY; `postgres` (the default store) → document_segments.embedding in the stack's database.
 */
export const vectorCheck: Check = {
  id: 'vector',
  title: 'Vector store',
  run: async ({ config, signal }): Promise<CheckResult> => {
    const s = config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    if (s.VECTOR_STORE === 'pgvector') {
      if (!s.PGVECTOR_HOST)
        return {
          status: 'warn',
          finding: 'VECTOR_STORE=pgvector but PGVECTOR_HOST is not set',
          fix: 'Set PGVECTOR_HOST, PGVECTOR_USER, PGVECTOR_PASSWORD and PGVECTOR_DATABASE in .env.',
        };
      return probePgvector({ ...s, PGVECTOR_HOST: s.PGVECTOR_HOST });
    }
    if (s.VECTOR_STORE === 'weaviate') return probeWeaviate(s, { config, signal });
    const target = dbTarget(s, await stackState(config));
    const result = await probeDefaultStore(target);
    if (SUPPORTED.includes(s.VECTOR_STORE)) return result;
    return {
      status: 'warn',
      finding: `VECTOR_STORE=${s.VECTOR_STORE} is not one difyctl supports (${SUPPORTED.join(', ')}): knowledge uses the default store`,
      fix: 'Set VECTOR_STORE=postgres (the default store, no extra service), pgvector or weaviate.',
      details: [result.finding],
    };
  },
};

/** Weaviate answers ready, then its meta (version) with the API key. */
async function probeWeaviate(
  s: Settings,
  { config, signal }: Pick<DoctorContext, 'config' | 'signal'>,
): Promise<CheckResult> {
  if (!s.WEAVIATE_ENDPOINT)
    return {
      status: 'fail',
      finding: 'VECTOR_STORE=weaviate but WEAVIATE_ENDPOINT is not set',
      fix: 'Set WEAVIATE_ENDPOINT, e.g. http://127.0.0.1:8080, or VECTOR_STORE=postgres (the default store).',
    };
  const base = new URL(s.WEAVIATE_ENDPOINT); // the schema has checked it is a URL
  // Credentials in the endpoint (http://user:pw@host) never reach the output.
  base.username = '';
  base.password = '';
  const headers: Record<string, string> = s.WEAVIATE_API_KEY ? { Authorization: `Bearer ${s.WEAVIATE_API_KEY}` } : {};
  const ready = new URL('/v1/.well-known/ready', base);
  const services = Object.keys(config.project.compose?.services ?? {});
  try {
    const started = Date.now();
    const readiness = await fetch(ready, { signal, headers });
    await readiness.body?.cancel();
    const rejected = (status: number): CheckResult => ({
      status: 'fail',
      finding: `${base.origin} rejects WEAVIATE_API_KEY (HTTP ${status})`,
      fix: "Set WEAVIATE_API_KEY to a key listed in Weaviate's AUTHENTICATION_APIKEY_ALLOWED_KEYS.",
    });
    if (readiness.status === 401 || readiness.status === 403) return rejected(readiness.status);
    if (!readiness.ok)
      return {
        status: 'fail',
        finding: `${ready.href} answered HTTP ${readiness.status}: Weaviate is not ready`,
        fix: 'Weaviate is starting or unhealthy: look at its logs (`difyctl logs weaviate`), or check WEAVIATE_ENDPOINT points at Weaviate.',
      };
    const meta = await fetch(new URL('/v1/meta', base), { signal, headers });
    if (meta.status === 401 || meta.status === 403) return rejected(meta.status);
    const body = meta.ok ? ((await meta.json().catch(() => ({}))) as { version?: string }) : {};
    return {
      status: 'ok',
      finding: `Weaviate ${body.version ?? ''} at ${base.origin} ready in ${Date.now() - started} ms`.replace(
        '  ',
        ' ',
      ),
    };
  } catch (error) {
    if (signal.aborted) throw error;
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message; // undici wraps the system error
    const refused = code === 'ECONNREFUSED';
    const unresolvable = code === 'ENOTFOUND' || code === 'EAI_AGAIN';
    return {
      status: 'fail',
      finding: `${base.origin} is unreachable (${refused ? 'connection refused' : unresolvable ? 'host not found' : code})`,
      fix:
        services.includes(base.hostname) || unresolvable
          ? `"${base.hostname}" only resolves inside the compose network; from the host set WEAVIATE_ENDPOINT=http://127.0.0.1:<published port>, or VECTOR_STORE=pgvector.`
          : `Start Weaviate or fix WEAVIATE_ENDPOINT (now ${base.origin}); \`curl ${ready.href}\` should answer.`,
    };
  }
}
