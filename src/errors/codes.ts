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
  'CLI.INTERRUPTED': { exit: EXIT.interrupted, summary: 'The command was interrupted (Ctrl-C / SIGINT).' },
  'CLI.NO_TTY': {
    exit: EXIT.usage,
    summary: 'The command needs a confirmation and there is no terminal to ask on; pass --yes.',
  },
  'CONFIG.FILE_NOT_FOUND': {
    exit: EXIT.usage,
    summary: 'A file named with -f, --env-file or env_file does not exist.',
  },
  'CONFIG.FILE_UNREADABLE': { exit: EXIT.usage, summary: 'A configuration file exists but cannot be read.' },
  'CONFIG.YAML': { exit: EXIT.usage, summary: 'The compose file is not valid YAML.' },
  'CONFIG.COMPOSE': { exit: EXIT.usage, summary: 'The compose file is valid YAML but not a valid compose model.' },
  'CONFIG.DOTENV': { exit: EXIT.usage, summary: 'An env file line cannot be parsed.' },
  'CONFIG.INTERPOLATION': { exit: EXIT.usage, summary: 'A ${...} expression is malformed.' },
  'CONFIG.REQUIRED_VARIABLE': {
    exit: EXIT.usage,
    summary: 'A ${VAR:?message} or ${VAR?message} names a variable that is not set.',
  },
  'CONFIG.INVALID': { exit: EXIT.usage, summary: 'One or more settings fail validation.' },
  'CONFIG.UNKNOWN_SERVICE': { exit: EXIT.usage, summary: 'The requested service is not in the compose file.' },
  'INIT.EXISTS': { exit: EXIT.failure, summary: 'difyctl init would overwrite existing files; pass --force.' },
  'FS.PERMISSION': {
    exit: EXIT.failure,
    summary: 'The operating system refused access to a file or folder (EACCES/EPERM).',
  },
  'FS.NOT_FOUND': { exit: EXIT.failure, summary: 'A file or folder that difyctl needs does not exist (ENOENT).' },
  'FS.DISK_FULL': {
    exit: EXIT.failure,
    summary:
      'A write failed because the disk (or the quota) is full (ENOSPC/EDQUOT): how much is free, and on which mount.',
  },
  'NET.ADDRESS_IN_USE': { exit: EXIT.failure, summary: 'A port difyctl needs is already taken (EADDRINUSE).' },
  'NET.CONNECTION_REFUSED': { exit: EXIT.failure, summary: 'Nothing listens at the address (ECONNREFUSED).' },
  'NET.HOST_NOT_FOUND': { exit: EXIT.failure, summary: 'A host name does not resolve (ENOTFOUND/EAI_AGAIN).' },
  'NET.TIMEOUT': { exit: EXIT.failure, summary: 'A network operation timed out (ETIMEDOUT).' },
  'DOCKER.UNREACHABLE': {
    exit: EXIT.failure,
    summary: 'The Docker engine does not answer at DOCKER_HOST, the current context or the default socket.',
  },
  'DOCKER.PULL_FAILED': { exit: EXIT.failure, summary: 'An image is absent and could not be pulled.' },
  'DOCKER.CONTAINER_FAILED': { exit: EXIT.failure, summary: 'A dependency container exited or could not be started.' },
  'DOCKER.NAME_CONFLICT': {
    exit: EXIT.failure,
    summary: 'A container with the name difyctl would use belongs to something else.',
  },
  'DOCKER.ENGINE_MISMATCH': {
    exit: EXIT.failure,
    summary: "DOCKER_HOST / DOCKER_CONTEXT name another Docker engine than the one running this project's containers.",
  },
  'DB.RESET_EXTERNAL': {
    exit: EXIT.failure,
    summary: 'db reset refuses to delete the data of an external database server.',
  },
  'MIGRATE.PENDING': { exit: EXIT.failure, summary: 'up will not start the server on a database that is not at head.' },
  'SERVER.CRASHED': {
    exit: EXIT.failure,
    summary: 'The api or worker process kept crashing at start and difyctl gave up.',
  },
  'STACK.LOCKED': {
    exit: EXIT.timeout,
    summary:
      "Another difyctl is changing this project's stack (up, down, db reset) and did not finish within the timeout.",
  },
  'STACK.NOT_READY': { exit: EXIT.timeout, summary: 'A dependency (db, redis) did not become ready within --timeout.' },
  'STACK.PORT_IN_USE': {
    exit: EXIT.failure,
    summary:
      'The port a dependency is configured to bind (EXPOSE_DB_PORT, EXPOSE_REDIS_PORT, a compose ports entry) is taken.',
  },
  'STACK.NOT_CREATED': {
    exit: EXIT.failure,
    summary: '`difyctl start` found nothing to start: `up` has not created the stack, or `down` removed it.',
  },
  'STACK.PROVIDER_UNAVAILABLE': {
    exit: EXIT.failure,
    summary: 'The provider forced with --provider cannot serve this dependency.',
  },
  'DB.AUTH_FAILED': { exit: EXIT.failure, summary: 'PostgreSQL refused the login: wrong DB_USERNAME or DB_PASSWORD.' },
  'DB.DATABASE_MISSING': {
    exit: EXIT.failure,
    summary: 'The database named by DB_DATABASE does not exist on the server.',
  },
  'REDIS.AUTH_FAILED': {
    exit: EXIT.failure,
    summary: 'Redis refused the credentials: wrong REDIS_PASSWORD or REDIS_USERNAME.',
  },
  'DB.TLS_FAILED': {
    exit: EXIT.failure,
    summary:
      'The TLS handshake with PostgreSQL failed: DB_EXTRAS sslrootcert does not vouch for the server, or the server has no TLS.',
  },
  'REDIS.TLS_FAILED': {
    exit: EXIT.failure,
    summary:
      'The TLS handshake with Redis failed: a certificate REDIS_SSL_CA_CERTS does not vouch for, or no TLS on the server.',
  },
  'EMBEDDED.BINARIES_BROKEN': {
    exit: EXIT.failure,
    summary: 'The embedded PostgreSQL binaries are missing or their library symlinks could not be restored.',
  },
  'EMBEDDED.DATA_DIR_ACCESS': {
    exit: EXIT.failure,
    summary: 'The postgres user cannot reach the embedded data directory (running as root).',
  },
  'EMBEDDED.START_FAILED': {
    exit: EXIT.failure,
    summary: 'An embedded PostgreSQL or Redis process failed to initialise or exited while starting.',
  },
  'MIGRATE.CONNECT': {
    exit: EXIT.failure,
    summary: 'The migrator cannot connect to PostgreSQL (a refused login is DB.AUTH_FAILED).',
  },
  'MIGRATE.LOCK_TIMEOUT': {
    exit: EXIT.failure,
    summary: 'Another migrator held the migration lock longer than --lock-timeout.',
  },
  'MIGRATE.FAILED': {
    exit: EXIT.failure,
    summary: 'A migration (or the seed) failed; its transaction was rolled back.',
  },
  'MIGRATE.FOREIGN_SCHEMA': {
    exit: EXIT.failure,
    summary: "The database holds Dify's own (Alembic) schema; difyctl will not migrate over it.",
  },
  'MIGRATE.INVALID_CHAIN': {
    exit: EXIT.failure,
    summary: 'The migration files do not form one chain (duplicate, fork, missing parent, bad module).',
  },
  'MIGRATE.UNKNOWN_REVISION': {
    exit: EXIT.usage,
    summary: '--to, stamp or down names a revision that is not a known migration.',
  },
  'MIGRATE.DIVERGED': {
    exit: EXIT.failure,
    summary: 'The database has applied migrations this difyctl does not know.',
  },
  'MIGRATE.NEW_EXISTS': { exit: EXIT.failure, summary: 'migrate new would overwrite an existing migration file.' },
  'SERVER.START_FAILED': {
    exit: EXIT.failure,
    summary:
      'An api server process could not start (its error says why); the server stops instead of restarting it in a loop.',
  },
  'VECTOR.PGVECTOR_MISSING': {
    exit: EXIT.failure,
    summary: 'VECTOR_STORE=pgvector and the PGVECTOR_HOST server has no pgvector extension (or may not create it).',
  },
  'VECTOR.WEAVIATE_UNREACHABLE': {
    exit: EXIT.failure,
    summary: 'VECTOR_STORE=weaviate and nothing answers at WEAVIATE_ENDPOINT (or its gRPC port).',
  },
  'VECTOR.WEAVIATE_AUTH': {
    exit: EXIT.failure,
    summary: 'VECTOR_STORE=weaviate and Weaviate refuses WEAVIATE_API_KEY (HTTP 401/403).',
  },
  'CONSOLE.UNREACHABLE': {
    exit: EXIT.failure,
    summary:
      "No API server answers at the project's address (difyctl setup, login, providers, apps, keys, chat): run `difyctl up -d`.",
  },
  'CONSOLE.NOT_LOGGED_IN': {
    exit: EXIT.failure,
    summary: 'No stored session for the console API, or it expired and could not be refreshed: run `difyctl login`.',
  },
  'CONSOLE.REFUSED': {
    exit: EXIT.failure,
    summary: 'The API server refused a console or service API request; its code and message are quoted.',
  },
  'CONSOLE.APP_NOT_FOUND': { exit: EXIT.failure, summary: 'No app of the workspace has that id or name.' },
  'CONSOLE.APP_AMBIGUOUS': { exit: EXIT.usage, summary: 'Several apps have that name: name the app by its id.' },
  'INTERNAL.BUG': {
    exit: EXIT.failure,
    summary: 'An unexpected error inside difyctl: please report it with --verbose output.',
  },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;
