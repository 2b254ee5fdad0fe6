import { BlockList, isIPv6 } from 'node:net';

/** Loopback, link-local and private ranges: where Dify's nginx (or another local proxy) sits. */
const LOCAL = new BlockList();
for (const [net, prefix] of [['127.0.0.0', 8], ['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['169.254.0.0', 16]] as const) LOCAL.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) LOCAL.addSubnet(net, prefix, 'ipv6');

/**
 * Fastify's `trustProxy` as a function of (address, hop): X-Forwarded-For is believed for one hop
 * only, and only when the connection itself comes from a local proxy. The client address is then
 * the entry that proxy appended (the rightmost); entries a client wrote further left are ignored,
 * so nobody behind the proxy can pick a fresh address per request to dodge the login rate limit.
 * A client on the open network connecting directly is never believed.
 */
export function trustLocalProxy(address: string, hop: number): boolean {
  if (hop !== 0) return false;
  try {
    return LOCAL.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
}
