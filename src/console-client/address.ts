/**
 * Where the project's API server answers: the port its supervisor recorded (`.difyctl/run/api.json`,
 * what `ps` shows), else DIFY_PORT from the project's settings (what `doctor` checks), on loopback.
 */
import path from 'node:path';
import { readRunRecord } from '../supervision/run-file.js';

export interface ProjectRef {
  /** @default process.cwd() */
  projectDir?: string;
  file?: string;
  envFile?: string;
  projectName?: string;
  env?: NodeJS.ProcessEnv;
}

/** Dify's default DIFY_PORT. */
const DEFAULT_PORT = 5001;

export async function serverAddress(ref: ProjectRef): Promise<{ projectDir: string; server: string }> {
  const projectDir = path.resolve(ref.projectDir ?? process.cwd());
  const record = await readRunRecord(projectDir, 'api');
  if (record?.port) return { projectDir, server: `http://127.0.0.1:${record.port}` };
  const { loadConfig } = await import('../config/resolve.js');
  const config = loadConfig({
    projectDir,
    file: ref.file,
    envFile: ref.envFile,
    projectName: ref.projectName,
    env: ref.env,
    mode: 'api',
  });
  return {
    projectDir: config.project.projectDir,
    server: `http://127.0.0.1:${config.typed?.DIFY_PORT ?? DEFAULT_PORT}`,
  };
}
