export { resetDatabase as dbReset, type DbResetOptions, type DbResetResult } from '../stack/db-reset.js';
