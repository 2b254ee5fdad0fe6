/**
 * Test hosts on one machine: Linux network namespaces joined by veth pairs to a bridge, for the tests
 * that need several "machines" (N api hosts, a worker host) talking over a real network. Needs root
 * (CAP_NET_ADMIN) and iproute2.
 *
 *   const net = await createNetwork(3);           // hosts 10.X.Y.2, .3, .4; the bridge (this host) .1
 *   net.gateway                                     // where this process' servers listen for the hosts
 *   const child = net.hosts[0].spawn(process.execPath, [BIN, 'serve'], { env });
 *   await net.destroy();                            // namespaces, veths and bridge gone
 *
 * The calling process stays in the root namespace: it reaches every host at its address, and servers
 * it starts on `gateway` (PostgreSQL, Redis, the LLM stand-in) are what the hosts reach. An exit hook
 * removes everything if the test process dies before `destroy()`. Processes spawned in a host are
 * killed by `destroy()` too (a namespace cannot be deleted under a running process' sockets).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { execa, type Options, type ResultPromise } from 'execa';

export interface NetnsHost {
  /** The namespace name (`ip netns exec <name> …`). */
  name: string;
  /** Its IPv4 address on the test network. */
  address: string;
  /** Starts `file args…` inside the namespace; `destroy()` kills it if still running. */
  spawn(file: string, args: string[], options?: Options): ResultPromise;
}

export interface TestNetwork {
  /** This (root namespace) side of the network: bind shared servers here. */
  gateway: string;
  hosts: NetnsHost[];
  destroy(): Promise<void>;
}

/** undefined when namespaces can be made here, otherwise why not (for a skip message). */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const name = `difyctl-probe-${randomBytes(3).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.error) return `iproute2 is missing: ${add.error.message}`;
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', name]);
  return undefined;
}

/** A /24 no interface of this machine uses yet (10.2xx.y.0). */
function freeSubnet(): string {
  const used = spawnSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' }).stdout;
  for (;;) {
    const bytes = randomBytes(2);
    const prefix = `10.${200 + (bytes[0]! % 50)}.${bytes[1]}`;
    if (!used.includes(` ${prefix}.`)) return prefix;
  }
}

export async function createNetwork(count: number): Promise<TestNetwork> {
  const id = randomBytes(2).toString('hex');
  const prefix = freeSubnet();
  const bridge = `dfy${id}br`;
  const gateway = `${prefix}.1`;
  const names = Array.from({ length: count }, (_, i) => `difyctl-${id}-${i}`);
  const children: ResultPromise[] = [];
  // Deleting the bridge and the namespaces removes both ends of every veth.
  const teardownSync = (): void => {
    for (const child of children) child.kill('SIGKILL');
    for (const name of names) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  };
  process.once('exit', teardownSync);
  const ip = (...args: string[]) => execa('ip', args);
  try {
    await ip('link', 'add', 'name', bridge, 'type', 'bridge');
    await ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    const hosts = await Promise.all(
      names.map(async (name, i): Promise<NetnsHost> => {
        const address = `${prefix}.${i + 2}`;
        const veth = `dfy${id}v${i}`;
        await ip('netns', 'add', name);
        await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name);
        await ip('link', 'set', veth, 'master', bridge, 'up');
        await ip('-n', name, 'link', 'set', 'lo', 'up');
        await ip('-n', name, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
        await ip('-n', name, 'link', 'set', 'eth0', 'up');
        await ip('-n', name, 'route', 'add', 'default', 'via', gateway);
        return {
          name,
          address,
          spawn: (file, args, options) => {
            // `ip netns exec` execs the command itself: the child's pid is the command's.
            const child = execa('ip', ['netns', 'exec', name, file, ...args], options);
            children.push(child);
            return child;
          },
        };
      }),
    );
    return {
      gateway,
      hosts,
      destroy: async () => {
        await Promise.all(
          children.map(async (child) => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await child.catch(() => {});
            clearTimeout(timer);
          }),
        );
        teardownSync();
        process.removeListener('exit', teardownSync);
      },
    };
  } catch (error) {
    teardownSync();
    process.removeListener('exit', teardownSync);
    throw error;
  }
}
