import type { DifyctlError, SourceLocation } from '../errors/index.js';
import type { Lookup } from './interpolate.js';
import type { SourceFile } from './source-file.js';
import type { SettingSource } from './sources.js';
import type { YamlMap, YamlValues } from './yaml-values.js';

/**
 * What a compose file is read with: the file itself, the directory its relative paths resolve
 * against (its project directory), and the variables its `${…}` take. The main file, each included
 * file and each file an `extends` points at has its own; every value remembers the scope it came
 * from, so sources and relative paths stay right once services are merged.
 */
export interface ComposeScope {
  source: SourceFile;
  /** Relative paths written in this file resolve here. */
  workingDir: string;
  lookup: Lookup;
  /** Where a variable used in interpolation was set (the shell or an env file line). */
  variableSource: (name: string) => SettingSource | undefined;
}

/** What include and extends need from the loader while they read more files. */
export interface LoadContext {
  values: YamlValues;
  /** How messages name a file: relative to the project dir. */
  display: (file: string) => string;
  /** Reads a file that a compose file names (registered for excerpts). */
  read: (file: string, what: string, at?: SourceLocation) => SourceFile;
  /** One file parsed and interpolated with its scope: no include or extends applied. */
  parse: (scope: ComposeScope) => YamlMap;
  /** One file with its includes and extends applied. @param chain the files including it, for cycles */
  loadModel: (scope: ComposeScope, chain: string[]) => YamlMap;
  /** The location of an entry (its value, or with 'key' a mapping entry's key), in the file it was written in. */
  at: (container: object, key: string | number, part?: 'key' | 'value') => SourceLocation;
  /** `CONFIG.COMPOSE` located at an entry. */
  error: (message: string, container: object, key: string | number, hint?: string) => DifyctlError;
}
