import { BlockList, isIP } from 'node:net';

/**
 * gunicorn's default FORWARDED_ALLOW_IPS: a proxy on the same host.
 * @default 127.0.0.1,::1
 */
export const DEFAULT_FORWARDED_ALLOW_IPS = '127.0.0.1,::1';

/** `10.0.0.0/8` → ['10.0.0.0', 8]; a bare address is its own /32 or /128. null when not an address. */
function parseEntry(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText, ...rest] = entry.split('/');
  const version = isIP(address);
  if (rest.length > 0 || version === 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * The entries of FORWARDED_ALLOW_IPS that are neither an address, a CIDR block nor `*`; empty
 * when the value is valid. The config schema reports them.
 */
export function invalidProxyEntries(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && entry !== '*' && parseEntry(entry) === null);
}

/** `::ffff:10.0.0.2` (an IPv4 client of a dual-stack socket) is the IPv4 address 10.0.0.2. */
const unmapped = (address: string): string => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;

/**
 * Fastify's `trustProxy` as a function of (address, hop), the way Dify trusts forwarded headers:
 * only with RESPECT_XFORWARD_HEADERS_ENABLED (Dify wraps its app in werkzeug's ProxyFix, which
 * believes one hop: x_for=1), and then only when the connection comes from an address in
 * FORWARDED_ALLOW_IPS (gunicorn's setting of the same name: addresses or CIDR blocks, comma
 * separated; `*` trusts any peer, which is what ProxyFix alone does).
 *
 * The client address is then the entry the trusted proxy appended (the rightmost of
 * X-Forwarded-For); entries a client wrote further left are ignored, so nobody can pick a fresh
 * address per request to dodge the login rate limit. Off (the default), X-Forwarded-For is never
 * read: every client, on loopback or not, is its socket's address.
 */
export function trustedProxy(options: {
  enabled: boolean;
  allowIps?: string;
}): (address: string, hop: number) => boolean {
  if (!options.enabled) return () => false;
  const entries = (options.allowIps ?? DEFAULT_FORWARDED_ALLOW_IPS)
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const any = entries.includes('*');
  const allowed = new BlockList();
  for (const entry of entries) {
    const parsed = parseEntry(entry);
    if (parsed) allowed.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return (address, hop) => {
    if (hop !== 0) return false;
    const peer = unmapped(address);
    const version = isIP(peer);
    if (version === 0) return false;
    return any || allowed.check(peer, version === 4 ? 'ipv4' : 'ipv6');
  };
}
