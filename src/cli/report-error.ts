import { BugError, DifyctlError, classify } from '../errors/index.js';
import { EXIT } from '../errors/codes.js';
import { renderEnvelope, type Envelope } from '../output/envelope.js';
import type { Output } from '../output/output.js';
import { escapeControl } from '../output/printable.js';

interface ReportOptions {
  out: Output;
  command: string;
  envelope: (command: string, error: Record<string, unknown>) => Envelope;
}

/** The single error boundary: friendly text (or the JSON envelope) and an exit code, never a stack trace unless --verbose. */
export function reportError(raw: unknown, { out, command, envelope }: ReportOptions): number {
  const error = classify(raw);
  if (error instanceof DifyctlError) {
    if (out.json) out.writeStdout(renderEnvelope(envelope(command, error.toJSON())));
    else out.info(formatDifyctlError(error, out));
    if (out.verbose && error.cause instanceof Error && error.cause.stack) out.debug(error.cause.stack);
    return error.exitCode;
  }
  const bug =
    error instanceof BugError
      ? error
      : new BugError(error instanceof Error ? error.message : String(error), { cause: error });
  if (out.json) out.writeStdout(renderEnvelope(envelope(command, { code: bug.code, message: bug.message })));
  else {
    out.info(`${out.color.red('error')} [${bug.code}] ${bug.message}`);
    out.info('This is a bug in difyctl. Please report it with the output of the same command run with --verbose.');
  }
  const stack = error instanceof Error ? error.stack : undefined;
  if (out.verbose && stack) out.debug(stack);
  return EXIT.failure;
}

export function formatDifyctlError(error: DifyctlError, out: Output): string {
  const lines: string[] = [];
  // Messages quote values and paths: control characters are escaped (excerpts are escaped where made).
  const text = (t: string) => escapeControl(t, { keepNewlines: true });
  const where = error.location ? `${text(error.location.file)}:${error.location.line}:${error.location.column}: ` : '';
  lines.push(`${out.color.red('error')} ${where}${text(error.message)} ${out.color.dim(`[${error.code}]`)}`);
  if (error.location?.excerpt) lines.push(error.location.excerpt);
  if (error.why) lines.push(`  why: ${text(error.why)}`);
  if (error.hint) lines.push(`  ${out.color.cyan('fix')}: ${text(error.hint)}`);
  return lines.join('\n');
}
