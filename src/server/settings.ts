import { crossFieldIssues, settingsSchema, type Settings } from '../config/schema.js';
import { configInvalid } from '../config/errors.js';

/** What the server runs with: the typed settings plus the facts the schema cannot express. */
export interface ServerSettings {
  settings: Settings;
  /** false when there is no Redis: every Redis duty falls back to PostgreSQL. */
  redisEnabled: boolean;
}

/**
 * Settings from a process environment, as a container entrypoint reads them (`difyctl up` spawns
 * `serve` with the resolved environment). No Redis = `DIFYCTL_REDIS=none` (what `up` sets when it
 * runs without one) or `REDIS_HOST` set but empty.
 * @throws DifyctlError CONFIG.INVALID naming the first bad variable
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv): ServerSettings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw configInvalid(
      `Invalid server setting: ${issues[0] ?? 'unknown'}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
      {
        hint: 'Fix the variable in .env or the compose service environment; `difyctl config` lists every problem.',
        details: { errors: issues },
      },
    );
  }
  const errors = crossFieldIssues(parsed.data).filter((i) => i.level === 'error');
  const first = errors[0];
  if (first) throw configInvalid(`${first.key} ${first.message}`, { hint: first.hint });
  const redisFlag = env.DIFYCTL_REDIS?.trim().toLowerCase();
  const redisEnabled = redisFlag !== 'none' && !(env.REDIS_HOST !== undefined && env.REDIS_HOST.trim() === '');
  return { settings: parsed.data, redisEnabled };
}

// Rules derived from the settings have one home (the doctor reads them too).
export { stopGraceMs, stopGraceSeconds, workerCount } from '../config/derived.js';
