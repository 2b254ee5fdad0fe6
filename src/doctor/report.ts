import type { ChalkInstance } from 'chalk';
import { escapeControl } from '../output/printable.js';
import type { CheckReport, DoctorReport } from './types.js';

const MARKS = { ok: '[✓]', warn: '[!]', fail: '[✗]', skip: '[-]' } as const;

function mark(check: CheckReport, color: ChalkInstance): string {
  const m = MARKS[check.status];
  return check.status === 'ok'
    ? color.green(m)
    : check.status === 'warn'
      ? color.yellow(m)
      : check.status === 'fail'
        ? color.red(m)
        : color.dim(m);
}

/** flutter/brew doctor style: a mark, the id, the finding; the fix under warn/fail; details with --verbose. */
export function renderDoctor(report: DoctorReport, opts: { color: ChalkInstance; verbose: boolean }): string {
  const width = Math.max(...report.checks.map((c) => c.id.length), 0);
  const lines: string[] = [];
  for (const check of report.checks) {
    // Findings quote settings and addresses: their control characters are escaped (--json stays exact).
    const text = (t: string) => escapeControl(t, { keepNewlines: true });
    lines.push(
      `${mark(check, opts.color)} ${check.id.padEnd(width)}  ${text(check.finding)}${opts.verbose ? opts.color.dim(` (${check.duration_ms} ms)`) : ''}`,
    );
    if (check.fix && (check.status === 'warn' || check.status === 'fail'))
      lines.push(`    ${opts.color.cyan('fix')}: ${text(check.fix)}`);
    if (opts.verbose) for (const d of check.details ?? []) lines.push(opts.color.dim(`    ${text(d)}`));
  }
  const s = report.summary;
  const parts = [`${s.ok} ok`, `${s.warn} warning${s.warn === 1 ? '' : 's'}`, `${s.fail} failed`];
  if (s.skip) parts.push(`${s.skip} skipped`);
  const verdict = s.fail
    ? opts.color.red('✗ problems found')
    : s.warn
      ? opts.color.yellow('! no failures, see the warnings')
      : opts.color.green('✓ no issues found');
  lines.push('', `${verdict}: ${parts.join(', ')} in ${s.duration_ms} ms`);
  return lines.join('\n');
}
