/** Strips ANSI colour so widths are measured on visible text. */
function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** Columns are padded to their widest cell up to this width; a longer cell overflows its column. */
export const MAX_COLUMN_WIDTH = 100;

/**
 * A plain aligned table, compose-`ps` style: header row, two spaces between columns. Cells are
 * printed as given: callers escape and clip values (see printable.ts).
 */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) =>
    Math.min(MAX_COLUMN_WIDTH, Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? '')))),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell))),
      )
      .join('  ')
      .trimEnd();
  return [format(headers), ...rows.map(format)].join('\n');
}
