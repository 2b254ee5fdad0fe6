import { errorFactory } from './factory.js';

/** Faults of the operating system and the network, whichever room meets them (`classify()` too). */

/** FS.PERMISSION: EACCES/EPERM. */
export const permissionDenied = errorFactory('FS.PERMISSION');
/** FS.NOT_FOUND: a file or folder difyctl needs is absent (ENOENT). */
export const fsNotFound = errorFactory('FS.NOT_FOUND');
/** NET.ADDRESS_IN_USE: EADDRINUSE. */
export const addressInUse = errorFactory('NET.ADDRESS_IN_USE');
/** NET.CONNECTION_REFUSED: nothing answers at the address. */
export const connectionRefused = errorFactory('NET.CONNECTION_REFUSED');
/** NET.HOST_NOT_FOUND: a host name does not resolve. */
export const netHostNotFound = errorFactory('NET.HOST_NOT_FOUND');
/** NET.TIMEOUT: ETIMEDOUT. */
export const networkTimeout = errorFactory('NET.TIMEOUT');
/** INTERNAL.BUG raised as a DifyctlError: an invariant of difyctl's own broke. */
export const invariantBroken = errorFactory('INTERNAL.BUG');
