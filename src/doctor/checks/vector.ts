import { SETTINGS_DO_NOT_PARSE, type Check, type CheckResult } from '../types.js';

const SUPPORTED = ['weaviate', 'pgvector'];

/** VECTOR_STORE and its settings; WEAVIATE_ENDPOINT/v1/meta reachable with WEAVIATE_API_KEY. */
export const vectorCheck: Check = {
  id: 'vector',
  title: 'Vector store',
  run: async ({ config, signal }): Promise<CheckResult> => {
    const s = config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    if (!SUPPORTED.includes(s.VECTOR_STORE)) {
      return {
        status: 'warn',
        finding: `VECTOR_STORE=${s.VECTOR_STORE} is not one the embedded server supports (${SUPPORTED.join(', ')})`,
        fix: 'Set VECTOR_STORE=pgvector (uses the same PostgreSQL) or weaviate.',
      };
    }
    if (s.VECTOR_STORE === 'pgvector') {
      return s.PGVECTOR_HOST
        ? {
            status: 'ok',
            finding: `pgvector on ${s.PGVECTOR_HOST}:${s.PGVECTOR_PORT}/${s.PGVECTOR_DATABASE ?? s.DB_DATABASE}`,
          }
        : {
            status: 'warn',
            finding: 'VECTOR_STORE=pgvector but PGVECTOR_HOST is not set',
            fix: 'Set PGVECTOR_HOST, PGVECTOR_USER, PGVECTOR_PASSWORD and PGVECTOR_DATABASE in .env.',
          };
    }
    if (!s.WEAVIATE_ENDPOINT)
      return {
        status: 'fail',
        finding: 'VECTOR_STORE=weaviate but WEAVIATE_ENDPOINT is not set',
        fix: 'Set WEAVIATE_ENDPOINT, e.g. http://127.0.0.1:8080.',
      };
    const url = new URL('/v1/meta', s.WEAVIATE_ENDPOINT); // the schema has checked it is a URL
    // Credentials in the endpoint (http://user:pw@host) never reach the output.
    url.username = '';
    url.password = '';
    const services = Object.keys(config.project.compose?.services ?? {});
    const composeHost = services.includes(url.hostname);
    try {
      const started = Date.now();
      const response = await fetch(url, {
        signal,
        headers: s.WEAVIATE_API_KEY ? { Authorization: `Bearer ${s.WEAVIATE_API_KEY}` } : {},
      });
      const ms = Date.now() - started;
      if (response.status === 401 || response.status === 403) {
        return {
          status: 'fail',
          finding: `${url.origin} rejects WEAVIATE_API_KEY (HTTP ${response.status})`,
          fix: "Set WEAVIATE_API_KEY to a key listed in Weaviate's AUTHENTICATION_APIKEY_ALLOWED_KEYS.",
        };
      }
      if (!response.ok)
        return {
          status: 'fail',
          finding: `${url.href} answered HTTP ${response.status}`,
          fix: 'Check WEAVIATE_ENDPOINT points at Weaviate (curl it).',
        };
      const meta = (await response.json().catch(() => ({}))) as { version?: string };
      return {
        status: 'ok',
        finding: `Weaviate ${meta.version ?? ''} at ${url.origin} answered in ${ms} ms`.replace('  ', ' '),
      };
    } catch (error) {
      if (signal.aborted) throw error;
      const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message; // undici wraps the system error
      const refused = code === 'ECONNREFUSED';
      const unresolvable = code === 'ENOTFOUND' || code === 'EAI_AGAIN';
      return {
        status: 'fail',
        finding: `${url.origin} is unreachable (${refused ? 'connection refused' : unresolvable ? 'host not found' : code})`,
        fix:
          composeHost || unresolvable
            ? `"${url.hostname}" only resolves inside the compose network; from the host set WEAVIATE_ENDPOINT=http://127.0.0.1:<published port>, or VECTOR_STORE=pgvector.`
            : `Start Weaviate or fix WEAVIATE_ENDPOINT (now ${url.origin}); \`curl ${url.href}\` should answer.`,
      };
    }
  },
};
