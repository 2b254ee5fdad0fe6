/**
 * Every error code difyctl can raise, with its exit code and a one-line summary.
 * docs/errors.md documents each of them; test/unit/error-codes.test.ts keeps the two in step.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  timeout: 3,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface CodeInfo {
  exit: ExitCode;
  summary: string;
}

export const ERROR_CODES = {
  'CLI.USAGE': { exit: EXIT.usage, summary: 'The command line is not valid (unknown option, missing argument).' },
  'CLI.NOT_IMPLEMENTED': { exit: EXIT.failure, summary: 'The command exists in the contract but is not built yet.' },
  'CLI.INTERRUPTED': { exit: EXIT.interrupted, summary: 'The command was interrupted (Ctrl-C / SIGINT).' },
  'CLI.NO_TTY': { exit: EXIT.usage, summary: 'The command needs a confirmation and there is no terminal to ask on; pass --yes.' },
  'CONFIG.FILE_NOT_FOUND': { exit: EXIT.usage, summary: 'A file named with -f, --env-file or env_file does not exist.' },
  'CONFIG.FILE_UNREADABLE': { exit: EXIT.usage, summary: 'A configuration file exists but cannot be read.' },
  'CONFIG.YAML': { exit: EXIT.usage, summary: 'The compose file is not valid YAML.' },
  'CONFIG.COMPOSE': { exit: EXIT.usage, summary: 'The compose file is valid YAML but not a valid compose model.' },
  'CONFIG.DOTENV': { exit: EXIT.usage, summary: 'An env file line cannot be parsed.' },
  'CONFIG.INTERPOLATION': { exit: EXIT.usage, summary: 'A ${...} expression is malformed.' },
  'CONFIG.REQUIRED_VARIABLE': { exit: EXIT.usage, summary: 'A ${VAR:?message} or ${VAR?message} names a variable that is not set.' },
  'CONFIG.INVALID': { exit: EXIT.usage, summary: 'One or more settings fail validation.' },
  'CONFIG.UNKNOWN_SERVICE': { exit: EXIT.usage, summary: 'The requested service is not in the compose file.' },
  'INIT.EXISTS': { exit: EXIT.failure, summary: 'difyctl init would overwrite existing files; pass --force.' },
  'FS.PERMISSION': { exit: EXIT.failure, summary: 'The operating system refused access to a file or folder (EACCES/EPERM).' },
  'FS.NOT_FOUND': { exit: EXIT.failure, summary: 'A file or folder that difyctl needs does not exist (ENOENT).' },
  'NET.ADDRESS_IN_USE': { exit: EXIT.failure, summary: 'A port difyctl needs is already taken (EADDRINUSE).' },
  'NET.CONNECTION_REFUSED': { exit: EXIT.failure, summary: 'Nothing listens at the address (ECONNREFUSED).' },
  'NET.HOST_NOT_FOUND': { exit: EXIT.failure, summary: 'A host name does not resolve (ENOTFOUND/EAI_AGAIN).' },
  'NET.TIMEOUT': { exit: EXIT.failure, summary: 'A network operation timed out (ETIMEDOUT).' },
  'DOCKER.UNREACHABLE': { exit: EXIT.failure, summary: 'The Docker engine does not answer at DOCKER_HOST, the current context or the default socket.' },
  'DOCKER.PULL_FAILED': { exit: EXIT.failure, summary: 'An image is absent and could not be pulled.' },
  'INTERNAL.BUG': { exit: EXIT.failure, summary: 'An unexpected error inside difyctl: please report it with --verbose output.' },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;
