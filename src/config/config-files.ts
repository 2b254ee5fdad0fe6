import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DifyctlError, SourceLocation } from '../errors/index.js';
import { dotenvToMap, DotenvParseError, parseDotenv, type DotenvEntry } from './dotenv.js';
import { InterpolationError, type Lookup } from './interpolate.js';
import { SourceFile } from './source-file.js';
import {
  configFileNotFound,
  configFileUnreadable,
  invalidDotenv,
  invalidInterpolation,
  requiredVariableUnset,
} from './errors.js';

/** How a configuration file is named in messages: relative to the project dir. */
export function displayName(file: string, projectDir: string): string {
  return path.relative(projectDir, file) || path.basename(file);
}

/** A symbolic link whose target is missing (or that loops): an error naming the link and its target. */
function brokenLink(file: string, what: string, at?: SourceLocation): DifyctlError | undefined {
  let target: string;
  try {
    if (!lstatSync(file).isSymbolicLink()) return undefined;
    target = readlinkSync(file);
  } catch {
    return undefined;
  }
  let loops = false;
  try {
    statSync(file);
    return undefined;
  } catch (error) {
    loops = (error as NodeJS.ErrnoException).code === 'ELOOP'; // fs errors carry an errno code
  }
  const resolved = path.resolve(path.dirname(file), target);
  return configFileNotFound(
    loops
      ? `${what} ${file} is a symbolic link that loops (${target})`
      : `${what} ${file} is a symbolic link to ${resolved}, which does not exist`,
    {
      location: at,
      hint: `Restore ${resolved}, point the link at an existing file, or remove the link.`,
      details: { link: file, target: resolved },
    },
  );
}

/**
 * Whether an optional file is there. A dangling symbolic link is not "absent": it is an error
 * naming the link and its missing target, so the fault is not blamed on what the file would set.
 */
export function fileIsPresent(file: string, what: string, at?: SourceLocation): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    const broken = brokenLink(file, what, at);
    if (broken) throw broken;
    return false;
  }
}

/**
 * Reads a configuration file as a SourceFile named relative to the project dir.
 * @param at where the file is referenced (an `include`, `extends` or `env_file` entry), for errors
 */
export function readSource(args: { file: string; projectDir: string; what: string; at?: SourceLocation }): SourceFile {
  const { file, projectDir, what, at } = args;
  try {
    return new SourceFile(file, readFileSync(file, 'utf8'), displayName(file, projectDir));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code; // fs errors carry an errno code
    const broken = code === 'ENOENT' || code === 'ELOOP' ? brokenLink(file, what, at) : undefined;
    if (broken) throw broken;
    if (code === 'ENOENT') {
      throw configFileNotFound(`${what} not found: ${file}`, {
        location: at,
        hint: at
          ? `Fix the path at ${at.file}:${at.line}, or create the file.`
          : 'Check the path, or run `difyctl init` to create the project files.',
      });
    }
    throw configFileUnreadable(`cannot read ${what} ${file}: ${(error as Error).message}`, {
      location: at,
      cause: error,
    });
  }
}

function dotenvError(error: unknown, source: SourceFile): unknown {
  if (!(error instanceof DotenvParseError)) return error;
  const location = source.locationAt(error.line, error.column);
  const cause = error.cause;
  if (cause instanceof InterpolationError) {
    return cause.kind === 'required'
      ? requiredVariableUnset(cause.message, {
          location,
          hint: `Set ${cause.variable} earlier in ${source.display} or in the shell.`,
        })
      : invalidInterpolation(cause.message, {
          location,
          hint: 'Close the brace (`${VAR}`) or write `$$` for a literal `$`.',
        });
  }
  return invalidDotenv(error.message.replace(/^line \d+: /, ''), {
    location,
    hint: 'Write KEY=VALUE; quote values with spaces; close every quote.',
  });
}

/** An env file's entries (compose's .env rules), errors located in the file. */
export function parseEnvSource(source: SourceFile, lookup: Lookup): Map<string, DotenvEntry> {
  try {
    return dotenvToMap(parseDotenv(source.text, { lookup }));
  } catch (error) {
    throw dotenvError(error, source);
  }
}
