import type { ChalkInstance } from 'chalk';
import type { Diagnostic, ResolvedConfig } from '../config/resolve.js';
import { SETTING_KEYS } from '../config/schema.js';
import { redact, REDACTED, isSecretKey } from '../config/secrets.js';
import { formatSource } from '../config/sources.js';
import { displayValue, escapeControl } from '../output/printable.js';
import { renderTable } from '../output/table.js';

function shown(key: string, value: unknown, showSecrets: boolean): unknown {
  if (value === undefined || value === null) return null;
  if (showSecrets) return value;
  if (typeof value === 'string') return redact(key, value);
  return isSecretKey(key) ? REDACTED : value;
}

function diagnosticJson(d: Diagnostic): Record<string, unknown> {
  const json: Record<string, unknown> = { code: d.code, message: d.message };
  if (d.key) json.key = d.key;
  if (d.hint) json.hint = d.hint;
  if (d.location) json.location = { file: d.location.file, line: d.location.line, column: d.location.column };
  return json;
}

/** `config --json` data: `{service, settings: {KEY: {value, source}}, warnings, errors}`. */
export function configData(config: ResolvedConfig, showSecrets: boolean): Record<string, unknown> {
  const settings: Record<string, { value: unknown; source: string }> = {};
  for (const [key, { value, source }] of config.values)
    settings[key] = { value: shown(key, value, showSecrets), source: formatSource(source) };
  return {
    service: config.service ?? null,
    project: config.project.projectName,
    files: { compose: config.project.composeFile?.display ?? null, env: config.project.envFile?.display ?? null },
    settings,
    warnings: config.diagnostics.filter((d) => d.level === 'warning').map(diagnosticJson),
    errors: config.diagnostics.filter((d) => d.level === 'error').map(diagnosticJson),
  };
}

function renderDiagnostic(d: Diagnostic, color: ChalkInstance): string {
  const mark = d.level === 'error' ? color.red('✗') : color.yellow('!');
  const where = d.location ? `${escapeControl(d.location.file)}:${d.location.line}:${d.location.column}: ` : '';
  const lines = [`${mark} ${where}${escapeControl(d.message, { keepNewlines: true })} ${color.dim(`[${d.code}]`)}`];
  // Excerpts are escaped and clipped where they are made (SourceFile.excerpt).
  if (d.location?.excerpt) lines.push(d.location.excerpt);
  if (d.hint) lines.push(`  ${color.cyan('fix')}: ${escapeControl(d.hint, { keepNewlines: true })}`);
  return lines.join('\n');
}

export function renderConfig(
  config: ResolvedConfig,
  opts: { showSecrets: boolean; all: boolean; color: ChalkInstance },
): string {
  const { project } = config;
  const files =
    escapeControl([project.composeFile?.display, project.envFile?.display].filter(Boolean).join(' + ')) ||
    'defaults only';
  const head = config.service
    ? `Settings of service "${escapeControl(config.service)}" (${files})`
    : `Settings (${files})`;
  const known = new Set<string>(SETTING_KEYS);
  const rows: string[][] = [];
  let hidden = 0;
  for (const [key, { value, source }] of config.values) {
    if (!opts.all && !known.has(key)) {
      hidden++;
      continue;
    }
    const v = shown(key, value, opts.showSecrets);
    // Text output escapes control characters and cuts long values; --json (configData) is exact.
    rows.push([
      displayValue(key),
      v === null ? opts.color.dim('(unset)') : displayValue(String(v)),
      opts.color.dim(escapeControl(formatSource(source))),
    ]);
  }
  const parts = [opts.color.bold(head), renderTable(['KEY', 'VALUE', 'SOURCE'], rows)];
  if (hidden)
    parts.push(opts.color.dim(`… and ${hidden} other keys difyctl passes through unchanged (--all lists them)`));
  const warnings = config.diagnostics.filter((d) => d.level === 'warning');
  const errors = config.diagnostics.filter((d) => d.level === 'error');
  if (warnings.length)
    parts.push(
      '',
      opts.color.yellow(`${warnings.length} warning(s):`),
      ...warnings.map((d) => renderDiagnostic(d, opts.color)),
    );
  if (errors.length)
    parts.push('', opts.color.red(`${errors.length} error(s):`), ...errors.map((d) => renderDiagnostic(d, opts.color)));
  else parts.push('', opts.color.green('✓ configuration is valid'));
  return parts.join('\n');
}
