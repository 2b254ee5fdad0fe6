import { errorFactory } from '../errors/index.js';

/** INIT.EXISTS: `difyctl init` would overwrite existing files. */
export const initExists = errorFactory('INIT.EXISTS');
