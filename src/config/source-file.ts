import path from 'node:path';
import type { SourceLocation } from '../errors/index.js';
import { escapeControl } from '../output/printable.js';

/** Characters of a line an excerpt shows: a longer line is cut around the column. */
const EXCERPT_WIDTH = 160;

/** The part of a line an excerpt shows, control characters escaped, and where the caret goes in it. */
function excerptLine(text: string, column: number): { shown: string; caretPad: string } {
  const at = Math.max(0, column - 1);
  const start = text.length <= EXCERPT_WIDTH ? 0 : Math.max(0, Math.min(at - 60, text.length - EXCERPT_WIDTH));
  const end = Math.min(text.length, start + EXCERPT_WIDTH);
  const escaped = (t: string) => escapeControl(t, { keepTabs: true });
  const before = `${start > 0 ? '…' : ''}${escaped(text.slice(start, Math.min(at, end)))}`;
  const shown = `${before}${escaped(text.slice(Math.min(at, end), end))}${end < text.length ? '…' : ''}`;
  // Tabs keep their width so the caret lines up.
  return { shown, caretPad: before.replace(/[^\t]/g, ' ') };
}

/** A configuration file's text with offset → line/column mapping and caret excerpts for errors. */
export class SourceFile {
  private readonly lineStarts: number[] = [0];

  /**
   * @param absolutePath where the file lives
   * @param display how messages name it (relative to the project dir)
   */
  constructor(
    readonly absolutePath: string,
    readonly text: string,
    readonly display: string = path.basename(absolutePath),
  ) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  /** 1-based line and column of a character offset. */
  position(offset: number): { line: number; column: number } {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - (this.lineStarts[lo] ?? 0) + 1 };
  }

  lineText(line: number): string {
    const start = this.lineStarts[line - 1];
    if (start === undefined) return '';
    const end = this.lineStarts[line];
    return this.text.slice(start, end === undefined ? undefined : end - 1).replace(/\r$/, '');
  }

  /**
   * The line before, the line itself, and a caret under the column. Long lines are cut around the
   * column and control characters escaped, so an excerpt stays small and safe to print.
   */
  excerpt(line: number, column: number): string {
    const width = String(line).length;
    const gutter = (n: number | '') => `  ${String(n).padStart(width)} | `;
    const out: string[] = [];
    if (line > 1) out.push(gutter(line - 1) + excerptLine(this.lineText(line - 1), 1).shown);
    const { shown, caretPad } = excerptLine(this.lineText(line), column);
    out.push(gutter(line) + shown);
    out.push(`${gutter('')}${caretPad}^`);
    return out.join('\n');
  }

  location(offset: number): SourceLocation {
    const { line, column } = this.position(offset);
    return this.locationAt(line, column);
  }

  locationAt(line: number, column: number): SourceLocation {
    return { file: this.display, line, column, excerpt: this.excerpt(line, column) };
  }
}
