import type { Check } from '../types.js';
import { apiHealthCheck } from './api-health.js';
import { apiMemoryCheck } from './api-memory.js';
import { apiTimeoutCheck } from './api-timeout.js';
import { configCheck } from './config.js';
import { dbConnectCheck } from './db-connect.js';
import { dbContainerCheck } from './db-container.js';
import { dbMigrationsCheck } from './db-migrations.js';
import { dockerCheck } from './docker.js';
import { performanceCheck } from './performance.js';
import { createPortsCheck } from './ports.js';
import { redisCheck } from './redis.js';
import { redisClusterCheck, redisSentinelCheck } from './managed-redis.js';
import { dbTlsCheck, redisTlsCheck } from './tls.js';
import { vectorCheck } from './vector.js';
import { stackPids } from '../../stack/launch/own-pids.js';
import { stackContainerPorts } from '../own-containers.js';

/** Every check, in the order the report lists them (SPEC §6). */
export function defaultChecks(): Check[] {
  return [
    configCheck,
    dockerCheck,
    dbContainerCheck,
    dbConnectCheck,
    dbTlsCheck,
    dbMigrationsCheck,
    redisCheck,
    redisSentinelCheck,
    redisClusterCheck,
    redisTlsCheck,
    apiHealthCheck,
    apiMemoryCheck,
    apiTimeoutCheck,
    createPortsCheck({
      ownPids: ({ config }) => stackPids(config.project.projectDir, config.project.projectName),
      ownPorts: stackContainerPorts,
    }),
    vectorCheck,
    performanceCheck,
  ];
}
