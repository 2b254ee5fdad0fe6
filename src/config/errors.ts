import { errorFactory } from '../errors/index.js';

/** The configuration's faults, one factory per code (docs/errors.md): each names the file, line or variable. */

/** CONFIG.FILE_NOT_FOUND: a file named with -f, --env-file or env_file does not exist. */
export const configFileNotFound = errorFactory('CONFIG.FILE_NOT_FOUND');
/** CONFIG.FILE_UNREADABLE: a configuration file exists but cannot be read. */
export const configFileUnreadable = errorFactory('CONFIG.FILE_UNREADABLE');
/** CONFIG.YAML: the compose file is not valid YAML. */
export const invalidYaml = errorFactory('CONFIG.YAML');
/** CONFIG.COMPOSE: valid YAML, but not a valid compose model (include, extends, services, command). */
export const composeError = errorFactory('CONFIG.COMPOSE');
/** CONFIG.DOTENV: an env file line cannot be parsed. */
export const invalidDotenv = errorFactory('CONFIG.DOTENV');
/** CONFIG.INTERPOLATION: a ${...} expression is malformed. */
export const invalidInterpolation = errorFactory('CONFIG.INTERPOLATION');
/** CONFIG.REQUIRED_VARIABLE: ${VAR:?message} names a variable that is not set. */
export const requiredVariableUnset = errorFactory('CONFIG.REQUIRED_VARIABLE');
/** CONFIG.INVALID: a setting fails validation (the variable first in the message). */
export const configInvalid = errorFactory('CONFIG.INVALID');
/** CONFIG.UNKNOWN_SERVICE: the requested service is not in the compose file (or not one difyctl runs). */
export const unknownService = errorFactory('CONFIG.UNKNOWN_SERVICE');
