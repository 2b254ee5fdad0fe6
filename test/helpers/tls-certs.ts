import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes into `dir` (openssl): `ca.pem`/`ca.key`, a second CA `other-ca.pem` that signs nothing
 * (a client trusting only it must refuse the server), and `server.pem`/`server.key` for 127.0.0.1
 * and localhost, signed by the first CA. Valid 2 days. `days` and `altNames` (openssl's
 * subjectAltName syntax) change the server certificate's validity and names.
 */
export async function makeTestCertificates(
  dir: string,
  options: { days?: number; altNames?: string } = {},
): Promise<void> {
  const file = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const key = ['-newkey', 'rsa:2048', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
    ssl(
      'req',
      '-x509',
      ...key,
      '-days',
      '2',
      '-subj',
      `/CN=difyctl test ${ca}`,
      '-keyout',
      file(`${ca}.key`),
      '-out',
      file(`${ca}.pem`),
    );
  }
  ssl('req', ...key, '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'));
  await writeFile(file('san.ext'), `subjectAltName=${options.altNames ?? 'IP:127.0.0.1,DNS:localhost'}\n`);
  ssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    String(options.days ?? 2),
    '-extfile',
    file('san.ext'),
    '-out',
    file('server.pem'),
  );
}
