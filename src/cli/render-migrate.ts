import type { ChalkInstance } from 'chalk';
import type { HistoryEntry, RunResult, StatusReport } from '../db/migrator.js';

/** `status --json`: `{current, head, pending, drift}` plus what else the report knows. */
export function statusData(s: StatusReport): Record<string, unknown> {
  return {
    current: s.current,
    head: s.head,
    pending: s.pending,
    drift: s.drift,
    unknown: s.unknown,
    upToDate: s.upToDate,
    foreign: s.foreign,
  };
}

export function runData(r: RunResult): Record<string, unknown> {
  return {
    migrations: r.migrations,
    seeded: r.seeded,
    ...(r.sql === undefined ? {} : { sql: r.sql }),
    status: statusData(r.status),
  };
}

export function renderStatus(s: StatusReport, c: ChalkInstance): string {
  if (s.foreign) {
    return `${c.yellow('!')} This database holds Dify's own schema (alembic_version ${s.foreign.version ?? 'unknown'}): difyctl reports it and never migrates over it.`;
  }
  const lines = [`current  ${s.current ?? 'base'}`, `head     ${s.head ?? 'base'}`];
  lines.push(`pending  ${s.pending.length === 0 ? c.green('none') : c.yellow(s.pending.join(', '))}`);
  if (s.drift.length > 0) {
    lines.push(
      `drift    ${c.red(s.drift.map((d) => d.revision).join(', '))} (changed since applied; \`difyctl migrate stamp head\` accepts the files as they are)`,
    );
  }
  if (s.unknown.length > 0) lines.push(`unknown  ${c.red(s.unknown.join(', '))} (applied by a newer difyctl)`);
  lines.push(
    s.upToDate
      ? c.green('The database is at head.')
      : s.pending.length > 0
        ? 'Run `difyctl migrate` to apply the pending migrations.'
        : '',
  );
  return lines.filter(Boolean).join('\n');
}

export function renderHistory(history: HistoryEntry[], c: ChalkInstance): string {
  if (history.length === 0) return 'No migrations.';
  return history
    .map((h) => {
      const state = h.applied ? c.green(`applied ${h.appliedAt} (${h.durationMs} ms)`) : c.yellow('pending');
      return `${h.revision}  ← ${h.down_revision ?? 'base'}  ${h.description}  ${state}${h.drift ? c.red('  drift') : ''}`;
    })
    .join('\n');
}

export function renderRun(r: RunResult, direction: 'up' | 'down', c: ChalkInstance): string {
  const verb = direction === 'up' ? 'Applied' : 'Reverted';
  const lines =
    r.migrations.length === 0
      ? [`Nothing to ${direction === 'up' ? 'apply' : 'revert'}.`]
      : [`${verb} ${r.migrations.length} migration(s).`];
  if (r.seeded) lines.push('Seed data in place.');
  lines.push(
    `Database at ${c.bold(r.status.current ?? 'base')}${r.status.current === r.status.head && r.status.head ? ' (head)' : ''}.`,
  );
  return lines.join('\n');
}
