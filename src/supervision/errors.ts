import { errorFactory } from '../errors/index.js';

/** STACK.LOCKED: another difyctl holds the project lock (up, down, db reset) past the timeout. */
export const stackLocked = errorFactory('STACK.LOCKED');
