export { initProject as init, type InitOptions } from '../scaffold/init.js';
