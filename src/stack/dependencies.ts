import type { ComposeProject } from '../config/compose-model.js';
import { parseDbExtras, pgSsl } from '../config/db-extras.js';
import type { Settings } from '../config/schema.js';
import type { DbConnection, DependencyName, DependencySpec, RedisConnection } from './types.js';

const IMAGE_PREFIX: Record<DependencyName, string> = { db: 'postgres', redis: 'redis' };

/** The image's repository name without registry or tag: `docker.io/library/postgres:15` → `postgres`. */
function imageName(image: string | undefined): string {
  const repo = (image ?? '').split('@')[0]?.replace(/:[^/:]*$/, '') ?? '';
  return repo.split('/').at(-1) ?? '';
}

/**
 * The compose service that is this dependency: the one DB_HOST / REDIS_HOST names, else an
 * active service whose image is postgres / redis (db_postgres in the newest Dify file, db in 0.15).
 */
export function findDependencyService({
  compose,
  name,
  host,
}: {
  compose?: ComposeProject;
  name: DependencyName;
  host: string;
}): string | undefined {
  if (!compose) return undefined;
  if (compose.services[host]) return host;
  const prefix = IMAGE_PREFIX[name];
  const byImage = Object.values(compose.services).filter((s) => imageName(s.image).startsWith(prefix));
  // Prefer the conventional names when several match (pgvector's image is not `postgres`, but be safe).
  return (byImage.find((s) => s.name === name || s.name === `${name}_postgres`) ?? byImage[0])?.name;
}

/** The four settings that say where db and redis are. */
export type AddressSettings = Pick<Settings, 'DB_HOST' | 'DB_PORT' | 'REDIS_HOST' | 'REDIS_PORT'>;

/**
 * The addresses from a configuration even when other settings are invalid (a broken SECRET_KEY
 * must not keep `ps` / `down` from finding what runs): typed settings when valid, else the raw
 * values with the schema's defaults.
 */
export function addressSettings(config: {
  settings?: Settings;
  raw: Map<string, { value: string | undefined }>;
}): AddressSettings {
  if (config.settings) return config.settings;
  const text = (key: string, fallback: string) => config.raw.get(key)?.value?.trim() || fallback;
  const port = (key: string, fallback: number) => {
    const n = Number(config.raw.get(key)?.value);
    return Number.isInteger(n) && n > 0 && n < 65536 ? n : fallback;
  };
  return {
    DB_HOST: text('DB_HOST', 'db'),
    DB_PORT: port('DB_PORT', 5432),
    REDIS_HOST: text('REDIS_HOST', 'redis'),
    REDIS_PORT: port('REDIS_PORT', 6379),
  };
}

export function dependencySpec(args: {
  name: DependencyName;
  settings: AddressSettings;
  compose?: ComposeProject;
}): DependencySpec {
  const { name, settings, compose } = args;
  const host = name === 'db' ? settings.DB_HOST : settings.REDIS_HOST;
  const port = name === 'db' ? settings.DB_PORT : settings.REDIS_PORT;
  const service = findDependencyService({ compose, name, host });
  return name === 'db'
    ? { name, service, host, port, hostVar: 'DB_HOST', portVar: 'DB_PORT' }
    : { name, service, host, port, hostVar: 'REDIS_HOST', portVar: 'REDIS_PORT' };
}

/** The credentials from the settings, at the address the dependency is really reachable on. */
export function dbConnection(settings: Settings, address: { host: string; port: number }): DbConnection {
  return {
    ...address,
    user: settings.DB_USERNAME,
    password: settings.DB_PASSWORD,
    database: settings.DB_DATABASE,
    ssl: pgSsl(parseDbExtras(settings.DB_EXTRAS).extras),
  };
}

export function redisConnection(settings: Settings, address: { host: string; port: number }): RedisConnection {
  return { ...address, username: settings.REDIS_USERNAME, password: settings.REDIS_PASSWORD, db: settings.REDIS_DB };
}

/** True for 127.0.0.1, ::1, localhost: addresses where difyctl may start something itself. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
