export { createStack, unknownDependency, type Stack, type StackOptions, type UpResult } from './stack.js';
export { resolvedEnvironment } from './resolved-env.js';
export type { StatusRow } from './stack-status.js';
export type { DownResult } from './stack-down.js';
export type {
  DependencyName,
  ProviderName,
  ProviderChoice,
  ResolvedDependency,
  StackEvent,
  Reporter,
  DbConnection,
  RedisConnection,
} from './types.js';
export { waitUntilReady } from './ready/wait.js';
export { tcpStrategy } from './ready/tcp.js';
export { postgresStrategy } from './ready/postgres.js';
export { redisStrategy } from './ready/redis.js';
export { httpStrategy } from './ready/http.js';
export { healthcheckStrategy, containerRunningStrategy } from './ready/healthcheck.js';
export { allOf, allAtOnce } from './ready/composite.js';
export type { ReadinessStrategy, Probe } from './ready/strategy.js';
export type { Clock } from '../supervision/clock.js';
