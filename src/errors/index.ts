export { ERROR_CODES, EXIT, type ErrorCode, type ExitCode } from './codes.js';
export {
  DifyctlError,
  BugError,
  isDifyctlError,
  type SourceLocation,
  type DifyctlErrorOptions,
} from './difyctl-error.js';
export { classify } from './classify.js';
export { interruptedError, noTtyError, usageError } from './cli-errors.js';
export {
  dbAuthFailed,
  dbDatabaseMissing,
  dbPasswordEmpty,
  isPgLoginRefused,
  pgLoginFault,
} from './db-login.js';
export { diskFullError, isDiskFull, formatBytes, notEnoughSpace } from './disk-full.js';
export { errorFactory, type ErrorFactory } from './factory.js';
export {
  addressInUse,
  connectionRefused,
  fsNotFound,
  netHostNotFound,
  invariantBroken,
  networkTimeout,
  permissionDenied,
} from './system-errors.js';
