import net from 'node:net';
import tls, { type ConnectionOptions } from 'node:tls';

/** What a TLS handshake showed of the server's certificate. */
export interface TlsFacts {
  /** The chain verifies against the configured CA (or the system's). */
  chainOk: boolean;
  /** Why it does not (Node's code, e.g. SELF_SIGNED_CERT_IN_CHAIN). */
  chainError?: string;
  /** The certificate names the host we connected to (undefined when that was not asked). */
  hostnameOk: boolean;
  hostnameError?: string;
  subject: string;
  validTo: Date;
  /** Whole days until it expires (negative: expired that many days ago). */
  daysLeft: number;
}

/** Days of validity left under which a certificate is reported as expiring. */
export const EXPIRY_WARNING_DAYS = 14;

const DAY_MS = 86_400_000;

/**
 * A TLS handshake with the server that never fails on the certificate itself: the facts are read
 * afterwards, so the doctor can say what is wrong (chain, name, dates) whatever the client settings.
 * `socket`: an already connected socket (PostgreSQL negotiates TLS inside its own protocol).
 */
export function inspectTls(options: {
  host: string;
  port: number;
  tls: ConnectionOptions;
  socket?: net.Socket;
  timeoutMs: number;
}): Promise<TlsFacts> {
  const { rejectUnauthorized: _reject, checkServerIdentity: _check, ...settings } = options.tls;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      ...settings,
      ...(options.socket ? { socket: options.socket } : { port: options.port }),
      host: options.host,
      servername: net.isIP(options.host) ? undefined : options.host,
      rejectUnauthorized: false,
      // `authorized` then says whether the chain verifies; the host name is checked below on its own.
      checkServerIdentity: () => undefined,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TLS handshake within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      socket.destroy();
      const identity = tls.checkServerIdentity(options.host, cert);
      const validTo = new Date(cert.valid_to);
      const authorizationError = socket.authorizationError as unknown as Error | string | null; // Node types it as Error; it is the code string
      resolve({
        chainOk: socket.authorized,
        chainError: authorizationError ? String(authorizationError) : undefined,
        hostnameOk: identity === undefined,
        hostnameError: identity?.message,
        subject: [cert.subject?.CN ?? '?'].flat().join(', '),
        validTo,
        daysLeft: Math.floor((validTo.getTime() - Date.now()) / DAY_MS),
      });
    });
  });
}

/** PostgreSQL's SSLRequest: a connected socket on which the server agreed to TLS ('S'), or an error. */
export function postgresSslRequest(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to the TLS request within ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      const request = Buffer.alloc(8);
      request.writeInt32BE(8, 0);
      request.writeInt32BE(80877103, 4);
      socket.write(request);
    });
    socket.once('data', (answer) => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      if (answer[0] === 0x53) resolve(socket);
      else fail(new Error('the server does not support SSL (ssl=off)'));
    });
  });
}

/** The finding's tail for a certificate's dates: "valid until …, N days left". */
export const validity = (facts: TlsFacts): string =>
  facts.daysLeft < 0
    ? `expired ${facts.validTo.toISOString().slice(0, 10)}`
    : `valid until ${facts.validTo.toISOString().slice(0, 10)} (${facts.daysLeft} days left)`;

/**
 * A check's result from the facts: what the client is set to verify must hold (chain, host name),
 * an expired certificate fails where it is verified, one about to expire warns; what the client does
 * not verify is reported in the details only.
 */
export function judgeTls(
  facts: TlsFacts,
  options: { who: string; verifyChain: boolean; verifyName: boolean; caFix: string; mode: string },
): { status: 'ok' | 'warn' | 'fail'; finding: string; fix?: string; details: string[] } {
  const details = [
    `certificate CN=${facts.subject}, ${validity(facts)}`,
    `chain: ${facts.chainOk ? 'verifies' : `does not verify (${facts.chainError ?? 'unknown'})`}`,
    `host name: ${facts.hostnameOk ? 'matches' : `does not match (${facts.hostnameError ?? 'unknown'})`}`,
  ];
  const base = `${options.who}: TLS handshake ok (${options.mode})`;
  if (options.verifyChain && !facts.chainOk)
    return {
      status: 'fail',
      finding: `${options.who}: the certificate does not verify: ${facts.chainError ?? 'unknown'}`,
      fix: options.caFix,
      details,
    };
  if (options.verifyName && !facts.hostnameOk)
    return {
      status: 'fail',
      finding: `${options.who}: ${facts.hostnameError ?? 'the certificate does not name this host'}`,
      fix: 'Connect by a name the certificate lists (its subjectAltName), or have the certificate reissued for this host.',
      details,
    };
  if (facts.daysLeft < 0)
    return {
      status: options.verifyChain ? 'fail' : 'warn',
      finding: `${options.who}: the certificate ${validity(facts)}`,
      fix: 'Renew the server certificate.',
      details,
    };
  if (facts.daysLeft < EXPIRY_WARNING_DAYS)
    return {
      status: 'warn',
      finding: `${base}; the certificate expires in ${facts.daysLeft} days (${facts.validTo.toISOString().slice(0, 10)})`,
      fix: 'Renew the server certificate before it expires.',
      details,
    };
  const unchecked = !options.verifyChain ? '; the client does not verify the certificate' : '';
  return { status: 'ok', finding: `${base}, ${validity(facts)}${unchecked}`, details };
}
