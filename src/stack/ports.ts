import net from 'node:net';

/** True when nothing holds host:port (we can bind it). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port nothing holds on 127.0.0.1 (get-port, which also avoids handing the same port out twice). */
export async function freePort(preferred?: number): Promise<number> {
  const { default: getPort } = await import('get-port');
  return getPort({ host: '127.0.0.1', port: preferred });
}
