import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { CrossFieldIssue } from './schema.js';
import { configInvalid } from './errors.js';

/**
 * DB_EXTRAS as Dify reads it: libpq parameters in query-string form, appended to its database URL
 * (`sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem&options=-c statement_timeout=5000`).
 */
export interface DbExtras {
  sslmode?: 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  /** `-c name=value …` minus statement_timeout, passed to the server at login. */
  options?: string;
  /** From `-c statement_timeout=…`, in ms. */
  statementTimeoutMs?: number;
  applicationName?: string;
}

const SSLMODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
const KNOWN = new Set([
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'options',
  'application_name',
  'client_encoding',
]);
const UNITS: Record<string, number> = { '': 1, ms: 1, s: 1000, min: 60_000, h: 3_600_000 };

/** Parsed DB_EXTRAS plus what is wrong with it (an unknown sslmode is an error, an unused key a warning). */
export function parseDbExtras(value: string | undefined): { extras: DbExtras; issues: CrossFieldIssue[] } {
  const extras: DbExtras = {};
  const issues: CrossFieldIssue[] = [];
  if (!value?.trim()) return { extras, issues };
  const params = new URLSearchParams(value.trim().replace(/^\?/, ''));
  for (const key of params.keys()) {
    if (!KNOWN.has(key))
      issues.push({
        level: 'warning',
        key: 'DB_EXTRAS',
        message: `has ${key}, which difyctl does not use`,
        hint: `Supported: ${[...KNOWN].join(', ')}.`,
      });
  }
  const sslmode = params.get('sslmode');
  if (sslmode !== null) {
    const mode = SSLMODES.find((m) => m === sslmode);
    if (mode) extras.sslmode = mode;
    else
      issues.push({
        level: 'error',
        key: 'DB_EXTRAS',
        message: `has sslmode=${sslmode}, expected one of ${SSLMODES.join(', ')}`,
        hint: 'Use sslmode=require (encrypted) or verify-full with sslrootcert=<CA file>.',
      });
  }
  extras.sslrootcert = params.get('sslrootcert') ?? undefined;
  extras.sslcert = params.get('sslcert') ?? undefined;
  extras.sslkey = params.get('sslkey') ?? undefined;
  extras.applicationName = params.get('application_name') ?? undefined;
  const options = params.get('options');
  if (options) {
    const rest = options.replace(
      /-c\s*statement_timeout\s*=\s*(\d+)\s*(ms|s|min|h)?/,
      (_m, n: string, unit: string | undefined) => {
        extras.statementTimeoutMs = Number(n) * (UNITS[unit ?? ''] ?? 1);
        return '';
      },
    );
    if (rest.trim()) extras.options = rest.trim();
  }
  return { extras, issues };
}

export const dbExtrasIssues = (value: string | undefined): CrossFieldIssue[] => parseDbExtras(value).issues;

function readPem(param: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw configInvalid(
      `DB_EXTRAS ${param}=${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { hint: `Point ${param} at a readable PEM file.` },
    );
  }
}

/**
 * node-postgres's `ssl` for an sslmode, as libpq: disable/allow/prefer → plain (pg cannot fall
 * back, so "prefer" does not try TLS); require → encrypted, not checked (checked against
 * sslrootcert when one is given, as libpq); verify-ca → the chain; verify-full → chain and host name.
 */
export function pgSsl(extras: DbExtras): false | TlsOptions {
  const mode = extras.sslmode;
  if (!mode || mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const ca = extras.sslrootcert ? readPem('sslrootcert', extras.sslrootcert) : undefined;
  const client = {
    ...(extras.sslcert ? { cert: readPem('sslcert', extras.sslcert) } : {}),
    ...(extras.sslkey ? { key: readPem('sslkey', extras.sslkey) } : {}),
  };
  if (mode === 'require' && !ca) return { rejectUnauthorized: false, ...client };
  const anyName = mode !== 'verify-full';
  return {
    rejectUnauthorized: true,
    ...(ca ? { ca } : {}),
    ...client,
    ...(anyName ? { checkServerIdentity: () => undefined } : {}),
  };
}
