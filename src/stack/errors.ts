import { errorFactory } from '../errors/index.js';

/** The stack's faults — its dependencies, providers and launched services — one factory per code (docs/errors.md). */

/** STACK.NOT_READY: a dependency did not become ready within --timeout. */
export const stackNotReady = errorFactory('STACK.NOT_READY');
/** STACK.PORT_IN_USE: the port a dependency is configured to bind is taken. */
export const stackPortInUse = errorFactory('STACK.PORT_IN_USE');
/** STACK.NOT_CREATED: `start` found nothing to start. */
export const stackNotCreated = errorFactory('STACK.NOT_CREATED');
/** STACK.PROVIDER_UNAVAILABLE: the provider forced with --provider cannot serve the dependency. */
export const providerUnavailable = errorFactory('STACK.PROVIDER_UNAVAILABLE');
/** DOCKER.UNREACHABLE: no Docker engine answers. */
export const dockerUnreachable = errorFactory('DOCKER.UNREACHABLE');
/** DOCKER.PULL_FAILED: an image is absent and could not be pulled. */
export const dockerPullFailed = errorFactory('DOCKER.PULL_FAILED');
/** DOCKER.CONTAINER_FAILED: a dependency container exited or could not start. */
export const containerFailed = errorFactory('DOCKER.CONTAINER_FAILED');
/** DOCKER.NAME_CONFLICT: the container name belongs to something else. */
export const containerNameConflict = errorFactory('DOCKER.NAME_CONFLICT');
/** DOCKER.ENGINE_MISMATCH: DOCKER_HOST / DOCKER_CONTEXT name another engine than the project's. */
export const dockerEngineMismatch = errorFactory('DOCKER.ENGINE_MISMATCH');
/** EMBEDDED.START_FAILED: the embedded PostgreSQL did not start (initdb, postgres). */
export const embeddedStartFailed = errorFactory('EMBEDDED.START_FAILED');
/** EMBEDDED.BINARIES_BROKEN: the embedded PostgreSQL binaries are missing or broken. */
export const embeddedBinariesBroken = errorFactory('EMBEDDED.BINARIES_BROKEN');
/** EMBEDDED.DATA_DIR_ACCESS: the postgres user cannot reach the data directory. */
export const embeddedDataDirAccess = errorFactory('EMBEDDED.DATA_DIR_ACCESS');
/** DB.TLS_FAILED: the TLS handshake with PostgreSQL failed. */
export const dbTlsFailed = errorFactory('DB.TLS_FAILED');
/** DB.RESET_EXTERNAL: `db reset` refuses an external database server. */
export const dbResetExternal = errorFactory('DB.RESET_EXTERNAL');
/** REDIS.AUTH_FAILED: Redis refused the credentials. */
export const redisAuthFailed = errorFactory('REDIS.AUTH_FAILED');
/** REDIS.TLS_FAILED: the TLS handshake with Redis failed. */
export const redisTlsFailed = errorFactory('REDIS.TLS_FAILED');
/** SERVER.CRASHED: the api or worker kept crashing at start and its supervisor gave up. */
export const serverCrashed = errorFactory('SERVER.CRASHED');
