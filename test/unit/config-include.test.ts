import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/project.js';
import { DifyctlError } from '../../src/errors/index.js';
import { tempDir } from '../helpers/cli.js';

// compose's `include` (compose-spec 14-include.md; compose-go loader/include.go), on temp files.

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

function loadError(dir: string, env: Record<string, string> = {}): DifyctlError {
  try {
    loadProject({ projectDir: dir, env });
  } catch (error) {
    expect(error).toBeInstanceOf(DifyctlError);
    return error as DifyctlError;
  }
  throw new Error('expected the project to fail to load');
}

/** The line (1-based) of the first line of a file's text that contains `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

const DB = `services:
  db:
    image: \${DB_IMAGE}
    env_file: db.env
    volumes:
      - ./data:/var/lib/postgresql/data
    environment:
      POSTGRES_DB: \${DB_NAME:-dify}
`;

describe('include: short syntax', () => {
  it('loads the file as its own project: its dir for relative paths, its .env for variables', async () => {
    const dir = await project({
      'docker-compose.yaml': 'include:\n  - db/compose.yaml\nservices:\n  api:\n    image: api\n    depends_on: [db]\n',
      'db/compose.yaml': DB,
      'db/.env': 'DB_IMAGE=postgres:15-alpine\nDB_NAME=from-db-env\n',
      'db/db.env': 'POSTGRES_USER=pg\n',
    });
    const compose = loadProject({ projectDir: dir, env: {} }).compose;
    const db = compose?.services.db;
    expect(db?.image).toBe('postgres:15-alpine');
    expect(db?.file).toBe(path.join('db', 'compose.yaml'));
    expect(db?.line).toBe(2);
    expect(db?.volumes[0]).toMatchObject({ type: 'bind', source: path.join(dir, 'db/data') });
    // env_file relative to the included file, sources naming the real file and line
    expect(db?.environment.get('POSTGRES_USER')).toEqual({
      value: 'pg',
      source: { kind: 'file', file: path.join('db', 'db.env'), line: 1, column: 1 },
    });
    // a value interpolated from the included .env names that .env line
    expect(db?.environment.get('POSTGRES_DB')).toEqual({
      value: 'from-db-env',
      source: { kind: 'file', file: path.join('db', '.env'), line: 2, column: 1 },
    });
    expect(Object.keys(compose?.services ?? {}).sort()).toEqual(['api', 'db']);
  });

  it("lets the including project's environment (shell, then its .env) win over the included .env", async () => {
    const dir = await project({
      'docker-compose.yaml': 'include:\n  - db/compose.yaml\n',
      '.env': 'DB_NAME=from-main-env\n',
      'db/compose.yaml': DB,
      'db/.env': 'DB_IMAGE=postgres:15-alpine\nDB_NAME=from-db-env\n',
      'db/db.env': '',
    });
    const db = loadProject({ projectDir: dir, env: { DB_IMAGE: 'postgres:16' } }).compose?.services.db;
    expect(db?.image).toBe('postgres:16');
    expect(db?.environment.get('POSTGRES_DB')).toEqual({
      value: 'from-main-env',
      source: { kind: 'file', file: '.env', line: 1, column: 1 },
    });
  });

  it('works in a file that holds only include:', async () => {
    const included = 'services:\n  api:\n    environment:\n      MODE: api\n      DB_HOST: included-db\n';
    const dir = await project({ 'docker-compose.yaml': 'include:\n  - stack/api.yaml\n', 'stack/api.yaml': included });
    const api = loadProject({ projectDir: dir, env: {} }).compose?.services.api;
    expect(api?.environment.get('DB_HOST')).toEqual({
      value: 'included-db',
      source: { kind: 'file', file: path.join('stack', 'api.yaml'), line: lineOf(included, 'DB_HOST'), column: 16 },
    });
  });

  it('applies includes recursively, each relative to the file that names it', async () => {
    const dir = await project({
      'docker-compose.yaml': 'include:\n  - a/compose.yaml\n',
      'a/compose.yaml': 'include:\n  - ../b/compose.yaml\nservices:\n  a:\n    image: a\n',
      'b/compose.yaml': 'services:\n  b:\n    image: b\n    volumes: ["./x:/x"]\n',
    });
    const services = loadProject({ projectDir: dir, env: {} }).compose?.services;
    expect(services?.a?.image).toBe('a');
    expect(services?.b?.volumes[0]?.source).toBe(path.join(dir, 'b/x'));
  });
});

describe('include: long syntax', () => {
  it('merges a path list (later files override), with project_directory and env_file', async () => {
    const dir = await project({
      'docker-compose.yaml':
        'include:\n  - path:\n      - db/compose.yaml\n      - db/override.yaml\n    project_directory: shared\n    env_file:\n      - envs/one.env\n      - envs/two.env\n',
      'db/compose.yaml': DB,
      'db/override.yaml': 'services:\n  db:\n    environment:\n      EXTRA: "1"\n    ports: ["5432:5432"]\n',
      'envs/one.env': 'DB_IMAGE=postgres:14\nDB_NAME=one\n',
      'envs/two.env': 'DB_NAME=two-${DB_IMAGE}\n',
      'shared/db.env': 'FROM_SHARED=yes\n',
    });
    const db = loadProject({ projectDir: dir, env: {} }).compose?.services.db;
    expect(db?.image).toBe('postgres:14');
    expect(db?.environment.get('POSTGRES_DB')?.value).toBe('two-postgres:14');
    expect(db?.environment.get('POSTGRES_DB')?.source).toMatchObject({ file: path.join('envs', 'two.env'), line: 1 });
    expect(db?.environment.get('EXTRA')).toMatchObject({
      value: '1',
      source: { file: path.join('db', 'override.yaml'), line: 4 },
    });
    // relative paths against project_directory
    expect(db?.environment.get('FROM_SHARED')?.value).toBe('yes');
    expect(db?.volumes[0]?.source).toBe(path.join(dir, 'shared/data'));
    expect(db?.ports).toEqual([{ published: 5432, target: 5432, hostIp: undefined, protocol: 'tcp' }]);
  });
});

describe('include: errors name the file, line and column of the reference', () => {
  it('a missing included file', async () => {
    const dir = await project({
      'docker-compose.yaml': 'services:\n  api:\n    image: x\ninclude:\n  - nope/compose.yaml\n',
    });
    const error = loadError(dir);
    expect(error.code).toBe('CONFIG.FILE_NOT_FOUND');
    expect(error.message).toContain(path.join(dir, 'nope/compose.yaml'));
    expect(error.location).toMatchObject({ file: 'docker-compose.yaml', line: 5, column: 5 });
    expect(error.exitCode).toBe(2);
  });

  it('a missing env_file of an include', async () => {
    const dir = await project({
      'docker-compose.yaml': 'include:\n  - path: db.yaml\n    env_file: missing.env\n',
      'db.yaml': 'services:\n  db:\n    image: x\n',
    });
    const error = loadError(dir);
    expect(error.code).toBe('CONFIG.FILE_NOT_FOUND');
    expect(error.location).toMatchObject({ file: 'docker-compose.yaml', line: 3, column: 15 });
  });

  it('a cycle, however deep', async () => {
    const dir = await project({
      'docker-compose.yaml': 'include:\n  - a.yaml\n',
      'a.yaml': 'include:\n  - b.yaml\nservices:\n  a:\n    image: a\n',
      'b.yaml': 'include:\n  - a.yaml\n',
    });
    const error = loadError(dir);
    expect(error.code).toBe('CONFIG.COMPOSE');
    expect(error.message).toBe('include cycle: docker-compose.yaml → a.yaml → b.yaml → a.yaml');
    expect(error.location).toMatchObject({ file: 'b.yaml', line: 2, column: 5 });
  });

  it('a file that includes itself', async () => {
    const dir = await project({ 'docker-compose.yaml': 'include:\n  - ./docker-compose.yaml\n' });
    expect(loadError(dir).message).toBe('include cycle: docker-compose.yaml → docker-compose.yaml');
  });

  it('two includes defining the same service differently', async () => {
    const dir = await project({
      'docker-compose.yaml': 'include:\n  - one.yaml\n  - two.yaml\n',
      'one.yaml': 'services:\n  db:\n    image: postgres:15\n',
      'two.yaml': 'services:\n  db:\n    image: postgres:16\n',
    });
    const error = loadError(dir);
    expect(error.code).toBe('CONFIG.COMPOSE');
    expect(error.message).toBe('services.db from the included two.yaml is already defined at one.yaml:2');
    expect(error.location).toMatchObject({ file: 'docker-compose.yaml', line: 3, column: 5 });
  });

  it('an included service that the including file also defines', async () => {
    const dir = await project({
      'docker-compose.yaml': 'include:\n  - one.yaml\nservices:\n  db:\n    image: mine\n',
      'one.yaml': 'services:\n  db:\n    image: theirs\n',
    });
    expect(loadError(dir).message).toBe(
      'services.db from the included one.yaml is already defined at docker-compose.yaml:4',
    );
  });

  it('the same file included twice is no conflict', async () => {
    const dir = await project({
      'docker-compose.yaml': 'include:\n  - one.yaml\n  - two.yaml\n',
      'one.yaml': 'include:\n  - common.yaml\n',
      'two.yaml': 'include:\n  - common.yaml\n',
      'common.yaml': 'services:\n  redis:\n    image: redis:6-alpine\n',
    });
    expect(loadProject({ projectDir: dir, env: {} }).compose?.services.redis?.image).toBe('redis:6-alpine');
  });

  it('include that is not a list, and an entry without path', async () => {
    const notList = await project({ 'docker-compose.yaml': 'include: a.yaml\n' });
    expect(loadError(notList)).toMatchObject({ code: 'CONFIG.COMPOSE', location: { line: 1, column: 10 } });
    const noPath = await project({ 'docker-compose.yaml': 'include:\n  - env_file: x.env\n' });
    expect(loadError(noPath).message).toBe('include: `path` is required');
  });
});
