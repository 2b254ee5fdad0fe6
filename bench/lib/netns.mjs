// Hosts for the benchmarks: network namespaces on a bridge (the test suite's twin is
// test/helpers/netns.ts). Root only. `destroy()` (also run at exit) removes namespaces, veths, bridge.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** `count` hosts at 10.X.Y.2…; this process reaches them, and they reach `gateway` (10.X.Y.1). */
export function createNetwork(count) {
  const id = randomBytes(2).toString('hex');
  const used = spawnSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' }).stdout;
  let prefix;
  do prefix = `10.${200 + (randomBytes(1)[0] % 50)}.${randomBytes(1)[0]}`;
  while (used.includes(` ${prefix}.`));
  const bridge = `dfy${id}br`;
  const gateway = `${prefix}.1`;
  const names = Array.from({ length: count }, (_, i) => `difyctl-bench-${id}-${i}`);
  const destroy = () => {
    for (const name of names) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    process.removeListener('exit', destroy);
  };
  process.once('exit', destroy);
  try {
    ip('link', 'add', 'name', bridge, 'type', 'bridge');
    ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    const hosts = names.map((name, i) => {
      const veth = `dfy${id}v${i}`;
      const address = `${prefix}.${i + 2}`;
      ip('netns', 'add', name);
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name);
      ip('link', 'set', veth, 'master', bridge, 'up');
      ip('-n', name, 'link', 'set', 'lo', 'up');
      ip('-n', name, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', name, 'link', 'set', 'eth0', 'up');
      ip('-n', name, 'route', 'add', 'default', 'via', gateway);
      // `ip netns exec` execs the command: spawn('ip', host.exec(file, args)) has the command's pid.
      return { name, address, exec: (file, args) => ['netns', 'exec', name, file, ...args] };
    });
    return { gateway, hosts, destroy };
  } catch (error) {
    destroy();
    throw error;
  }
}
