import { formatSource } from '../../config/sources.js';
import type { Check, CheckResult } from '../types.js';

/** A value wrapped in literal quotes (`"http://…"` in a compose list entry or a quoted-twice .env value). */
const QUOTED = /^(["']).*\1$/s;

/** Files parse, settings valid, secrets not the sample values in PRODUCTION, no CRLF, no quotes leaking into values. */
export const configCheck: Check = {
  id: 'config',
  title: 'Configuration',
  run: async ({ config }): Promise<CheckResult> => {
    const { project } = config;
    const errors = config.diagnostics.filter((d) => d.level === 'error');
    const warnings = config.diagnostics.filter((d) => d.level === 'warning');
    const where = (d: (typeof errors)[number]) => (d.location ? `${d.location.file}:${d.location.line}: ` : '');
    const details = config.diagnostics.map((d) => `${d.level}: ${where(d)}${d.message}`);
    const files =
      [project.composeFile?.display, project.envFile?.display].filter(Boolean).join(' + ') || 'no files (defaults)';
    const first = errors[0];
    if (first) {
      return {
        status: 'fail',
        finding: `${where(first)}${first.message}${errors.length > 1 ? ` (+${errors.length - 1} more)` : ''}`,
        fix: first.hint ?? 'Run `difyctl config` for every problem.',
        details,
      };
    }
    if (project.envFile?.text.includes('\r\n')) {
      return {
        status: 'warn',
        finding: `${project.envFile.display} has Windows (CRLF) line endings`,
        fix: `Convert it: \`sed -i 's/\\r$//' ${project.envFile.display}\` (tools other than docker compose may read the \\r into values).`,
        details,
      };
    }
    for (const [key, entry] of config.raw) {
      if (entry.value && QUOTED.test(entry.value)) {
        return {
          status: 'warn',
          finding: `${key} holds literal quotes: ${entry.value.length > 60 ? `${entry.value.slice(0, 60)}…` : key.match(/PASSWORD|SECRET|KEY|TOKEN/) ? '***' : entry.value} (${formatSource(entry.source)})`,
          fix: `Remove the quotes around ${key}'s value (in a compose list entry \`- KEY="v"\` they are part of the value).`,
          details,
        };
      }
    }
    const warning = warnings[0];
    if (warning) return { status: 'warn', finding: `${where(warning)}${warning.message}`, fix: warning.hint, details };
    return {
      status: 'ok',
      finding: `${files} valid (${config.raw.size} keys, service ${config.service ?? 'from .env'})`,
      details,
    };
  },
};
