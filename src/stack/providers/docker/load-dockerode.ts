import { createRequire, Module } from 'node:module';
import path from 'node:path';
import type Docker from 'dockerode';

const require = createRequire(import.meta.url);

/**
 * dockerode and docker-modem load, at import, the code of two features difyctl never uses:
 * BuildKit sessions (`lib/session.js`: gRPC and protobuf) and `ssh://` engines (`lib/ssh.js`: ssh2;
 * `dockerOptions` refuses ssh endpoints). That is most of their import time (≈ 0.3 s of CPU, on
 * every `up`, `ps`, `down`, `logs`). Both files export one function: each is put in the module cache
 * as a stand-in that loads the real file on its first call, so nothing changes should one be used.
 */
function deferFunctionModule(file: string): void {
  if (require.cache[file]) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const load = () => {
    if (!real) {
      delete require.cache[file];
      real = require(file) as (...args: unknown[]) => unknown; // the file exports a function (checked below by calling it)
    }
    return real;
  };
  const stand = new Module(file);
  stand.filename = file;
  stand.loaded = true;
  stand.exports = function deferred(this: unknown, ...args: unknown[]) {
    return load().apply(this, args);
  };
  require.cache[file] = stand;
}

let loading: Promise<typeof Docker> | undefined;

/** The dockerode class, loaded once without its BuildKit-session and ssh code (until used). */
export function loadDockerode(): Promise<typeof Docker> {
  loading ??= (async () => {
    try {
      const dockerodeDir = path.dirname(require.resolve('dockerode'));
      deferFunctionModule(path.join(dockerodeDir, 'session.js'));
      deferFunctionModule(
        path.join(path.dirname(require.resolve('docker-modem', { paths: [dockerodeDir] })), 'ssh.js'),
      );
    } catch {
      // Another layout of the packages: load them as they are.
    }
    // An import (not require) so that import traces see it; CommonJS files come from the same cache.
    return (await import('dockerode')).default;
  })();
  return loading;
}
