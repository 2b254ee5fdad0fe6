/** Keys whose values are secrets: `*PASSWORD*`, `*SECRET*`, `*_KEY`, `*TOKEN*`, API keys, credentials. */
const SECRET_KEY = /PASSWORD|SECRET|TOKEN|_KEY$|_KEY_|APIKEY|API_KEY|CREDENTIAL|PRIVATE_KEY|_DSN$/i;

export const REDACTED = '***';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** `redis://:pw@host` → `redis://:***@host`; other text unchanged. */
export function redactUrlCredentials(value: string): string {
  // Bounded scheme length: a long value without `://` must not be scanned over and over.
  return value.replace(/^([a-z][a-z0-9+.-]{0,31}:\/\/)([^/@\s]*)@/i, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    const user = colon < 0 ? '' : userinfo.slice(0, colon);
    return colon < 0 ? `${scheme}${REDACTED}@` : `${scheme}${user}:${REDACTED}@`;
  });
}

/** The value as it may be shown: secrets as `***`, credentials inside URLs masked. */
export function redact(key: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return value;
  if (isSecretKey(key)) return REDACTED;
  return redactUrlCredentials(value);
}
