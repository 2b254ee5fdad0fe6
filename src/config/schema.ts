import { z } from 'zod';
import { DEFAULT_FORWARDED_ALLOW_IPS, invalidProxyEntries } from '../server/trust-proxy.js';
import { managedDependencyIssues } from './managed-rules.js';
import { dbExtrasIssues } from './db-extras.js';

/** Dify's sample SECRET_KEY from its .env.example: refused in PRODUCTION. */
export const SAMPLE_SECRET_KEYS = ['sk-9f73s3ljTXVcMT3Blb3ljTqtsKiGHXVcMT3BlbkFJLK7U'];

const TRUE = /^(true|1|yes|on)$/i;
const FALSE = /^(false|0|no|off)$/i;

/** Dify's .env leaves many keys empty (`KEY=`): empty means "use the default". */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const bool = (fallback: boolean) =>
  z
    .preprocess(
      blankToUndefined,
      z
        .string()
        .refine((v) => TRUE.test(v) || FALSE.test(v), { message: 'expected true or false' })
        .transform((v) => TRUE.test(v))
        .optional(),
    )
    .transform((v) => v ?? fallback);

/** A number in [min, max] written as `pattern` allows (whole, or with decimals); blank = `fallback`. */
const numeric = (pattern: RegExp, expected: string, fallback: number, min: number, max: number) =>
  z
    .preprocess(
      blankToUndefined,
      z
        .string()
        .regex(pattern, { message: expected })
        .transform(Number)
        .pipe(
          z
            .number()
            .min(min, { message: `must be at least ${min}` })
            .max(max, { message: `must be at most ${max}` }),
        )
        .optional(),
    )
    .transform((v) => v ?? fallback);

const int = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  numeric(/^-?\d+$/, 'expected a whole number', fallback, min, max);

const number = (fallback: number, min: number, max: number) =>
  numeric(/^-?\d+(\.\d+)?$/, 'expected a number', fallback, min, max);

const str = (fallback: string) => z.preprocess(blankToUndefined, z.string().optional()).transform((v) => v ?? fallback);
const optionalStr = () => z.preprocess(blankToUndefined, z.string().optional());
const oneOf = <T extends string>(values: readonly [T, ...T[]], fallback: T) =>
  z
    .preprocess(
      (v) => (typeof blankToUndefined(v) === 'string' ? String(v).trim().toUpperCase() : undefined),
      z.enum(values.map((x) => x.toUpperCase()) as [string, ...string[]]).optional(),
    )
    .transform((v) => (values.find((x) => x.toUpperCase() === v) ?? fallback) as T);
const url = (protocols: RegExp, hint: string, several = false) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      // Dify's CELERY_BROKER_URL lists several sentinels separated by ';': each must be a URL.
      .refine(
        (v) =>
          (several ? v.split(';') : [v]).every((part) => {
            try {
              return protocols.test(new URL(part.trim()).protocol);
            } catch {
              return false;
            }
          }),
        { message: hint },
      )
      .optional(),
  );

/**
 * The settings the embedded server uses (SPEC §1), named as in Dify's `.env`. Values arrive as
 * strings (from `.env`/compose); the schema types them and fills defaults. Unknown keys are kept
 * out of the typed result but are not errors.
 */
export const settingsShape = {
  // deploy
  /** @default PRODUCTION */
  DEPLOY_ENV: oneOf(['PRODUCTION', 'DEVELOPMENT', 'TESTING'], 'PRODUCTION'),
  /** Required; signs sessions and tokens. */
  SECRET_KEY: z.preprocess(
    blankToUndefined,
    z.string({ message: 'is required: generate one with `openssl rand -base64 42`' }),
  ),
  /** @default INFO */
  LOG_LEVEL: oneOf(['DEBUG', 'INFO', 'WARNING', 'WARN', 'ERROR', 'CRITICAL'], 'INFO'),
  LOG_FILE: optionalStr(),
  // server
  /** @default 0.0.0.0 */
  DIFY_BIND_ADDRESS: str('0.0.0.0'),
  /** @default 5001 */
  DIFY_PORT: int(5001, 1, 65535),
  /** 0 = one process per core. @default 1 */
  SERVER_WORKER_AMOUNT: int(1, 0, 256),
  /** Accepted for compatibility with gunicorn settings. @default gevent */
  SERVER_WORKER_CLASS: str('gevent'),
  /** Max concurrent connections per process. @default 10 */
  SERVER_WORKER_CONNECTIONS: int(10, 1, 100_000),
  /** Seconds a blocked process or a request may take before it is cut. @default 360 */
  GUNICORN_TIMEOUT: int(360, 1, 86_400),
  /** @default false */
  ENABLE_RESPONSE_COMPRESSION: bool(false),
  /** Believe X-Forwarded-For (one hop, as Dify's werkzeug ProxyFix), from FORWARDED_ALLOW_IPS only. @default false */
  RESPECT_XFORWARD_HEADERS_ENABLED: bool(false),
  /** The proxies whose X-Forwarded-For is believed: addresses or CIDR blocks, comma separated, `*` = any (gunicorn's setting). @default 127.0.0.1,::1 */
  FORWARDED_ALLOW_IPS: str(DEFAULT_FORWARDED_ALLOW_IPS).refine((v) => invalidProxyEntries(v).length === 0, {
    error: (issue) =>
      `expected addresses or CIDR blocks separated by commas (or *), not ${invalidProxyEntries(String(issue.input)).join(', ')}`,
  }),
  // database
  /** @default postgres */
  DB_USERNAME: str('postgres'),
  DB_PASSWORD: optionalStr(),
  /** @default db */
  DB_HOST: str('db'),
  /** @default 5432 */
  DB_PORT: int(5432, 1, 65535),
  /** @default dify */
  DB_DATABASE: str('dify'),
  /** libpq parameters as a query string, as Dify appends them: sslmode=verify-full&sslrootcert=/ca.pem&options=-c statement_timeout=5000 */
  DB_EXTRAS: optionalStr(),
  /** @default 30 */
  SQLALCHEMY_POOL_SIZE: int(30, 1, 10_000),
  /** @default 10 */
  SQLALCHEMY_MAX_OVERFLOW: int(10, 0, 10_000),
  /** Seconds before a pooled connection is replaced. @default 3600 */
  SQLALCHEMY_POOL_RECYCLE: int(3600, 1, 1_000_000),
  /** The db container's max_connections (Dify's compose passes it to postgres). @default 100 */
  POSTGRES_MAX_CONNECTIONS: int(100, 1, 1_000_000),
  // redis
  /** @default redis */
  REDIS_HOST: str('redis'),
  /** @default 6379 */
  REDIS_PORT: int(6379, 1, 65535),
  REDIS_USERNAME: optionalStr(),
  REDIS_PASSWORD: optionalStr(),
  /** @default 0 */
  REDIS_DB: int(0, 0, 15),
  /** @default false */
  REDIS_USE_SSL: bool(false),
  /** Dify's names (ssl module constants); CERT_NONE = encrypted, certificate not checked. @default CERT_NONE */
  REDIS_SSL_CERT_REQS: oneOf(['CERT_NONE', 'CERT_OPTIONAL', 'CERT_REQUIRED'], 'CERT_NONE'),
  /** PEM file of the CA that signed Redis's certificate. */
  REDIS_SSL_CA_CERTS: optionalStr(),
  /** PEM client certificate and key, for Redis servers that ask for one (tls-auth-clients). */
  REDIS_SSL_CERTFILE: optionalStr(),
  REDIS_SSL_KEYFILE: optionalStr(),
  /** @default false */
  REDIS_USE_SENTINEL: bool(false),
  /** Sentinels as host:port,host:port. */
  REDIS_SENTINELS: optionalStr(),
  /** The master's name the sentinels monitor. */
  REDIS_SENTINEL_SERVICE_NAME: optionalStr(),
  REDIS_SENTINEL_USERNAME: optionalStr(),
  REDIS_SENTINEL_PASSWORD: optionalStr(),
  /** Seconds a sentinel may take to answer. @default 0.1 */
  REDIS_SENTINEL_SOCKET_TIMEOUT: number(0.1, 0.001, 3600),
  /** @default false */
  REDIS_USE_CLUSTERS: bool(false),
  /** Cluster nodes as host:port,host:port (any of them; the rest is discovered). */
  REDIS_CLUSTERS: optionalStr(),
  REDIS_CLUSTERS_PASSWORD: optionalStr(),
  /** The task queue through sentinels: CELERY_BROKER_URL=sentinel://host:26379/1;sentinel://host2:26379/1. @default false */
  CELERY_USE_SENTINEL: bool(false),
  CELERY_SENTINEL_MASTER_NAME: optionalStr(),
  CELERY_SENTINEL_PASSWORD: optionalStr(),
  /** Seconds a broker sentinel may take to answer. @default 0.1 */
  CELERY_SENTINEL_SOCKET_TIMEOUT: number(0.1, 0.001, 3600),
  /** TLS to CELERY_BROKER_URL's Redis (rediss:// does the same), with the REDIS_SSL_* certificates. @default false */
  BROKER_USE_SSL: bool(false),
  CELERY_BROKER_URL: url(
    /^(redis|rediss|sentinel):$/,
    'expected a redis:// URL, e.g. redis://:password@redis:6379/1',
    true,
  ),
  /** Worker concurrency. @default 1 */
  CELERY_WORKER_AMOUNT: int(1, 1, 1024),
  // startup
  /** @default true */
  MIGRATION_ENABLED: bool(true),
  /** @default api */
  MODE: z
    .preprocess(
      (v) => (typeof blankToUndefined(v) === 'string' ? String(v).trim().toLowerCase() : undefined),
      z.enum(['api', 'worker', 'beat']).optional(),
    )
    .transform((v) => v ?? 'api'),
  // vector
  /** @default weaviate */
  VECTOR_STORE: str('weaviate').transform((v) => v.toLowerCase()),
  WEAVIATE_ENDPOINT: url(/^https?:$/, 'expected an http(s) URL, e.g. http://weaviate:8080'),
  WEAVIATE_API_KEY: optionalStr(),
  /** grpc://host:port; without it the WEAVIATE_ENDPOINT host on 50051 (443 with https), as Dify. */
  WEAVIATE_GRPC_ENDPOINT: optionalStr(),
  PGVECTOR_HOST: optionalStr(),
  PGVECTOR_PORT: int(5432, 1, 65535),
  PGVECTOR_USER: optionalStr(),
  PGVECTOR_PASSWORD: optionalStr(),
  PGVECTOR_DATABASE: optionalStr(),
  /** Connections the pgvector pool keeps open (Dify's PGVECTOR_MIN_CONNECTION). @default 1 */
  PGVECTOR_MIN_CONNECTION: int(1, 1, 1024),
  /** Connections the pgvector pool opens at most, per process. @default 5 */
  PGVECTOR_MAX_CONNECTION: int(5, 1, 1024),
  // extension
  /** @default false */
  CUSTOM_MIDDLEWARE_ENABLED: bool(false),
  CUSTOM_MIDDLEWARE_MODULE: optionalStr(),
  /** @default plugins/providers */
  PROVIDER_PLUGINS_DIR: str('plugins/providers'),
  // storage (uploaded files)
  /** `opendal` (with OPENDAL_SCHEME=fs) or `local`; other backends are not built in. @default opendal */
  STORAGE_TYPE: oneOf(['opendal', 'local'], 'opendal'),
  /** STORAGE_TYPE=local: the folder; relative to the project's volumes/app (Dify's /app/api). @default storage */
  STORAGE_LOCAL_PATH: str('storage'),
  /** STORAGE_TYPE=opendal: only the file system scheme is built in. @default fs */
  OPENDAL_SCHEME: oneOf(['fs'], 'fs'),
  /** STORAGE_TYPE=opendal: the folder; relative to the project's volumes/app (Dify's /app/api). @default storage */
  OPENDAL_FS_ROOT: str('storage'),
  /** MB, files that are not images, videos or audio. @default 15 */
  UPLOAD_FILE_SIZE_LIMIT: int(15, 1, 100_000),
  /** MB. @default 10 */
  UPLOAD_IMAGE_FILE_SIZE_LIMIT: int(10, 1, 100_000),
  /** MB. @default 100 */
  UPLOAD_VIDEO_FILE_SIZE_LIMIT: int(100, 1, 100_000),
  /** MB. @default 50 */
  UPLOAD_AUDIO_FILE_SIZE_LIMIT: int(50, 1, 100_000),
  /** Files per workflow run (reported by /v1/parameters). @default 10 */
  WORKFLOW_FILE_UPLOAD_LIMIT: int(10, 1, 100_000),
  /** Extensions refused on upload, comma separated (`exe,bat`). @default empty */
  UPLOAD_FILE_EXTENSION_BLACKLIST: str(''),
  /** The server's public address in signed file links (`message_files[].url`); empty: relative links. @default empty */
  FILES_URL: str(''),
  /** Seconds a signed file link stays valid. @default 300 */
  FILES_ACCESS_TIMEOUT: int(300, 1, 604_800),
  // telemetry
  SENTRY_DSN: optionalStr(),
  /** @default 1.0 */
  SENTRY_TRACES_SAMPLE_RATE: number(1, 0, 1),
  /** @default 1.0 */
  SENTRY_PROFILES_SAMPLE_RATE: number(1, 0, 1),
};

export const settingsSchema = z.object(settingsShape);
export type Settings = z.output<typeof settingsSchema>;
export type SettingKey = keyof typeof settingsShape;
export const SETTING_KEYS = Object.keys(settingsShape) as SettingKey[];

export interface CrossFieldIssue {
  level: 'error' | 'warning';
  key: SettingKey;
  message: string;
  hint: string;
}

/** Rules between fields, run after the schema succeeded. */
export function crossFieldIssues(s: Settings): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  if (s.DEPLOY_ENV === 'PRODUCTION') {
    if (SAMPLE_SECRET_KEYS.includes(s.SECRET_KEY)) {
      issues.push({
        level: 'error',
        key: 'SECRET_KEY',
        message: "is the sample value from Dify's .env.example, refused in PRODUCTION",
        hint: 'Set SECRET_KEY to a fresh value: `openssl rand -base64 42`',
      });
    } else if (s.SECRET_KEY.length < 32) {
      issues.push({
        level: 'error',
        key: 'SECRET_KEY',
        message: `is ${s.SECRET_KEY.length} characters; PRODUCTION needs at least 32`,
        hint: 'Set SECRET_KEY to a fresh value: `openssl rand -base64 42`',
      });
    }
  }
  const perProcess = s.SQLALCHEMY_POOL_SIZE + s.SQLALCHEMY_MAX_OVERFLOW;
  if (perProcess > s.POSTGRES_MAX_CONNECTIONS) {
    issues.push({
      level: 'warning',
      key: 'SQLALCHEMY_POOL_SIZE',
      message: `SQLALCHEMY_POOL_SIZE + SQLALCHEMY_MAX_OVERFLOW = ${perProcess} exceeds POSTGRES_MAX_CONNECTIONS (${s.POSTGRES_MAX_CONNECTIONS})`,
      hint: 'Lower SQLALCHEMY_POOL_SIZE / SQLALCHEMY_MAX_OVERFLOW, or raise POSTGRES_MAX_CONNECTIONS',
    });
  }
  if (s.CUSTOM_MIDDLEWARE_ENABLED && !s.CUSTOM_MIDDLEWARE_MODULE) {
    issues.push({
      level: 'error',
      key: 'CUSTOM_MIDDLEWARE_MODULE',
      message: 'is required when CUSTOM_MIDDLEWARE_ENABLED=true',
      hint: 'Set CUSTOM_MIDDLEWARE_MODULE to a module path, e.g. ./middleware/example.js',
    });
  }
  issues.push(...managedDependencyIssues(s), ...dbExtrasIssues(s.DB_EXTRAS));
  if (s.VECTOR_STORE === 'pgvector' && !s.PGVECTOR_HOST) {
    issues.push({
      level: 'warning',
      key: 'PGVECTOR_HOST',
      message: 'is not set while VECTOR_STORE=pgvector',
      hint: 'Set PGVECTOR_HOST (and PGVECTOR_USER, PGVECTOR_PASSWORD, PGVECTOR_DATABASE)',
    });
  }
  return issues;
}
