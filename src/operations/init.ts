export { initProject as init, type InitOptions } from '../project/init.js';
