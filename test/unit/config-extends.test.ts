import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/resolve.js';
import { loadProject } from '../../src/config/project.js';
import { DifyctlError } from '../../src/errors/index.js';
import { tempDir } from '../helpers/cli.js';

// A service's `extends` with compose's merge rules (compose-go loader/extends.go, override/merge.go,
// override/uncity.go), on temp files.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function project(files: Record<string, string>): Promise<string> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

function loadError(dir: string): DifyctlError {
  try {
    loadProject({ projectDir: dir, env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(DifyctlError);
    return error as DifyctlError;
  }
  throw new Error('expected the project to fail to load');
}

const SAME_FILE = `x-base: &base
  image: base
services:
  base:
    image: base:1
    command: ["serve", "--base"]
    environment:
      MODE: api
      A: from-base
      B: from-base
    ports:
      - "8000:8000"
    volumes:
      - ./base-data:/data
      - ./logs:/logs
    depends_on: [db]
    healthcheck:
      test: ["CMD", "true"]
      interval: 5s
  api:
    extends: base
    command: ["serve", "--api"]
    environment:
      - B=from-api
      - C=from-api
    ports:
      - "8000:8000"
      - "9000:9000"
    volumes:
      - ./api-data:/data
    depends_on:
      redis:
        condition: service_healthy
    healthcheck:
      retries: 3
  db:
    image: postgres
  redis:
    image: redis
`;

describe('extends in the same file', () => {
  it('merges by compose rules: environment by key, ports/volumes made unique, command overridden, maps merged', async () => {
    const dir = await project({ 'docker-compose.yaml': SAME_FILE });
    const api = loadProject({ projectDir: dir, env: {} }).compose?.services.api;
    const line = (needle: string, from = 0) =>
      SAME_FILE.split('\n').findIndex((l, i) => i >= from && l.includes(needle)) + 1;
    expect(api?.image).toBe('base:1');
    expect(api?.command).toEqual(['serve', '--api']);
    expect(api?.environment.get('A')).toMatchObject({
      value: 'from-base',
      source: { file: 'docker-compose.yaml', line: line('A: from-base') },
    });
    expect(api?.environment.get('B')).toMatchObject({
      value: 'from-api',
      source: { file: 'docker-compose.yaml', line: line('B=from-api') },
    });
    expect(api?.environment.get('C')?.value).toBe('from-api');
    expect(api?.environment.get('MODE')?.value).toBe('api');
    expect(api?.ports.map((p) => p.published)).toEqual([8000, 9000]);
    expect(api?.volumes.map((v) => [v.source, v.target])).toEqual([
      [path.join(dir, 'api-data'), '/data'],
      [path.join(dir, 'logs'), '/logs'],
    ]);
    expect(api?.dependsOn).toEqual({
      db: { condition: 'service_started', required: true, restart: false },
      redis: { condition: 'service_healthy', required: true, restart: false },
    });
    expect(api?.healthcheck).toMatchObject({ test: ['CMD', 'true'], intervalMs: 5000, retries: 3 });
    expect(api?.line).toBe(line('  api:'));
  });

  it('gives config the settings of the extended service with the lines they were written at', async () => {
    const dir = await project({ 'docker-compose.yaml': SAME_FILE, '.env': 'DEPLOY_ENV=DEVELOPMENT\nSECRET_KEY=dev\n' });
    const config = loadConfig({ projectDir: dir, env: {} });
    expect(config.service).toBe('base'); // the first service with MODE=api
    const api = loadConfig({ projectDir: dir, env: {}, service: 'api' });
    expect(api.values.get('MODE')?.source).toMatchObject({
      kind: 'file',
      file: 'docker-compose.yaml',
      line: SAME_FILE.split('\n').indexOf('      MODE: api') + 1,
    });
  });

  it('resolves chains (a service extending one that extends another)', async () => {
    const dir = await project({
      'docker-compose.yaml':
        'services:\n  a:\n    image: a\n    environment: {X: "1"}\n  b:\n    extends: a\n    environment: {Y: "2"}\n  c:\n    extends: {service: b}\n    environment: {Z: "3"}\n',
    });
    const c = loadProject({ projectDir: dir, env: {} }).compose?.services.c;
    expect(c?.image).toBe('a');
    expect([...(c?.environment.keys() ?? [])].sort()).toEqual(['X', 'Y', 'Z']);
  });

  it('can extend an included service', async () => {
    const dir = await project({
      'docker-compose.yaml':
        'include: [lib.yaml]\nservices:\n  mine:\n    extends: shared\n    environment: {OWN: "1"}\n',
      'lib.yaml': 'services:\n  shared:\n    image: shared\n    environment: {LIB: "1"}\n',
    });
    const mine = loadProject({ projectDir: dir, env: {} }).compose?.services.mine;
    expect(mine?.image).toBe('shared');
    expect(mine?.environment.get('LIB')?.source).toMatchObject({ file: 'lib.yaml', line: 4 });
  });
});

describe('extends from another file', () => {
  it('reads it with the same variables; its relative paths and env_file stay relative to it; nested files relative to each file', async () => {
    const dir = await project({
      'docker-compose.yaml':
        'services:\n  api:\n    extends:\n      file: common/services.yaml\n      service: web\n    environment:\n      OWN: "1"\n',
      'common/services.yaml':
        'services:\n  web:\n    extends:\n      file: deeper/base.yaml\n      service: root\n    image: web:${TAG}\n    env_file: web.env\n    volumes: ["./static:/static"]\n',
      'common/web.env': 'FROM_ENV_FILE=yes\n',
      'common/deeper/base.yaml':
        'services:\n  root:\n    environment:\n      ROOT: "1"\n    volumes: ["./root:/root"]\n',
      '.env': 'TAG=1.2.3\n',
    });
    const api = loadProject({ projectDir: dir, env: {} }).compose?.services.api;
    expect(api?.image).toBe('web:1.2.3');
    expect(api?.volumes.map((v) => v.source)).toEqual([
      path.join(dir, 'common/deeper/root'),
      path.join(dir, 'common/static'),
    ]);
    expect(api?.environment.get('FROM_ENV_FILE')?.source).toMatchObject({
      file: path.join('common', 'web.env'),
      line: 1,
    });
    expect(api?.environment.get('ROOT')?.source).toMatchObject({
      file: path.join('common', 'deeper', 'base.yaml'),
      line: 4,
    });
    expect(api?.environment.get('OWN')?.source).toMatchObject({ file: 'docker-compose.yaml', line: 7 });
    expect(api?.file).toBe('docker-compose.yaml');
  });
});

describe('extends errors name the file, line and column', () => {
  it('a cycle', async () => {
    const dir = await project({
      'docker-compose.yaml': 'services:\n  a:\n    extends: b\n  b:\n    extends: {service: c}\n  c:\n    extends: a\n',
    });
    const error = loadError(dir);
    expect(error.code).toBe('CONFIG.COMPOSE');
    expect(error.message).toBe(
      'extends cycle: a (docker-compose.yaml) → b (docker-compose.yaml) → c (docker-compose.yaml) → a (docker-compose.yaml)',
    );
    expect(error.location).toMatchObject({ file: 'docker-compose.yaml', line: 7, column: 14 });
  });

  it('a service extending itself', async () => {
    const dir = await project({ 'docker-compose.yaml': 'services:\n  a:\n    extends: a\n' });
    expect(loadError(dir).message).toBe('extends cycle: a (docker-compose.yaml) → a (docker-compose.yaml)');
  });

  it('a cycle across files', async () => {
    const dir = await project({
      'docker-compose.yaml': 'services:\n  a:\n    extends: {file: other.yaml, service: b}\n',
      'other.yaml': 'services:\n  b:\n    extends: {file: docker-compose.yaml, service: a}\n',
    });
    expect(loadError(dir).message).toBe(
      'extends cycle: a (docker-compose.yaml) → b (other.yaml) → a (docker-compose.yaml)',
    );
  });

  it('an unknown service', async () => {
    const dir = await project({
      'docker-compose.yaml': 'services:\n  a:\n    image: a\n  b:\n    extends:\n      service: nope\n',
    });
    const error = loadError(dir);
    expect(error.message).toBe('service "b" extends "nope", which is not defined in docker-compose.yaml');
    expect(error.location).toMatchObject({ line: 6, column: 16 });
  });

  it('a missing file', async () => {
    const dir = await project({
      'docker-compose.yaml': 'services:\n  b:\n    extends:\n      service: x\n      file: missing/base.yaml\n',
    });
    const error = loadError(dir);
    expect(error.code).toBe('CONFIG.FILE_NOT_FOUND');
    expect(error.message).toContain(path.join(dir, 'missing/base.yaml'));
    expect(error.location).toMatchObject({ file: 'docker-compose.yaml', line: 5, column: 13 });
  });

  it('extends without a service', async () => {
    const dir = await project({ 'docker-compose.yaml': 'services:\n  b:\n    extends:\n      file: x.yaml\n' });
    expect(loadError(dir)).toMatchObject({ code: 'CONFIG.COMPOSE', location: { line: 4 } });
  });
});
