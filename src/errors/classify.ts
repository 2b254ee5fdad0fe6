import { DifyctlError } from './difyctl-error.js';
import { diskFullError } from './disk-full.js';
import {
  addressInUse,
  connectionRefused,
  fsNotFound,
  netHostNotFound,
  networkTimeout,
  permissionDenied,
} from './system-errors.js';

interface SystemErrorLike {
  code?: string;
  syscall?: string;
  path?: string;
  address?: string;
  port?: number;
  hostname?: string;
  message?: string;
}

function asSystemError(error: unknown): SystemErrorLike | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return error as SystemErrorLike; // narrowed by the `code` checks below
}

/**
 * Turns raw OS/network errors into actionable DifyctlErrors. Anything it does not recognise is
 * returned unchanged so the boundary can report it as a bug.
 */
export function classify(error: unknown): unknown {
  if (error instanceof DifyctlError) return error;
  const e = asSystemError(error);
  if (!e?.code) return error;
  const where = e.address ? `${e.address}${e.port ? `:${e.port}` : ''}` : (e.hostname ?? e.path ?? '');
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return permissionDenied(`Permission denied${where ? `: ${where}` : ''}`, {
        hint: 'Check the owner and mode of the path, or run from a directory you own.',
        cause: error,
      });
    case 'ENOSPC':
    case 'EDQUOT':
      return diskFullError(e.path, error);
    case 'ENOENT':
      return fsNotFound(`No such file or directory${where ? `: ${where}` : ''}`, {
        cause: error,
      });
    case 'EADDRINUSE':
      return addressInUse(`Address already in use${where ? `: ${where}` : ''}`, {
        hint: 'Stop what holds the port, or choose another port in .env (e.g. DIFY_PORT, EXPOSE_DB_PORT). `difyctl doctor --only ports` names the holder.',
        cause: error,
      });
    case 'ECONNREFUSED':
      return connectionRefused(`Connection refused${where ? `: ${where}` : ''}`, {
        hint: 'Is the service running? `difyctl ps` and `difyctl doctor` tell.',
        cause: error,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return netHostNotFound(`Host not found${where ? `: ${where}` : ''}`, {
        hint: 'A compose service name only resolves inside the compose network; from the host use 127.0.0.1.',
        cause: error,
      });
    case 'ETIMEDOUT':
      return networkTimeout(`Timed out${where ? `: ${where}` : ''}`, { cause: error });
    default:
      return error;
  }
}
