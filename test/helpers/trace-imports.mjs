// Preloaded with `node --import` to record every module the process resolves into the file named
// by DIFYCTL_TRACE_IMPORTS: lets a test prove `--help` does not load heavy modules.
import { register } from 'node:module';

register('./trace-imports-hooks.mjs', import.meta.url, { data: { file: process.env.DIFYCTL_TRACE_IMPORTS } });
