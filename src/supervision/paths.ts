import path from 'node:path';

/** `.difyctl/` in the project: the state file, the lock, run records, logs and embedded data. */
export const stateDir = (projectDir: string) => path.join(projectDir, '.difyctl');

/** `.difyctl/logs/<name>.log`: every process difyctl starts (db, redis, api, worker, supervisor) logs here. */
export const logPath = (projectDir: string, name: string) => path.join(stateDir(projectDir), 'logs', `${name}.log`);
