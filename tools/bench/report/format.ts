/** A table as data, rendered either as aligned text for the terminal or as Markdown for the docs. */
export interface Table {
  readonly headers: readonly string[];
  /** Per column: 'left' for names, 'right' for figures. */
  readonly align: readonly ('left' | 'right')[];
  readonly rows: readonly (readonly string[])[];
}

/** Groups thousands with a space, as the docs write figures ("20 000"). */
export function grouped(value: number, decimals = 0): string {
  const [whole = '', fraction] = Math.abs(value).toFixed(decimals).split('.');
  const withSpaces = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${value < 0 ? '-' : ''}${withSpaces}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** A figure with about three significant digits and grouped thousands. */
export function figure(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 100) return grouped(value, 0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

/** A duration given in microseconds, in the unit that reads best. */
export function duration(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return '–';
  if (us >= 1_000_000) return `${(us / 1_000_000).toFixed(2)} s`;
  if (us >= 1000) return `${figure(us / 1000)} ms`;
  return `${figure(us)} µs`;
}

/** A duration given in milliseconds. */
export function millis(ms: number | undefined): string {
  return ms === undefined ? '–' : duration(ms * 1000);
}

/** A ratio such as `0.82×`. */
export function ratio(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return `${value >= 10 ? value.toFixed(1) : value >= 0.095 ? value.toFixed(2) : value.toPrecision(2)}×`;
}

/** A size given in MiB. */
export function mebibytes(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)} MiB`;
}

/** Renders a table as aligned, space-padded text. */
export function renderText(table: Table, indent = '  '): string {
  const widths = table.headers.map((header, c) => Math.max(header.length, ...table.rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    indent +
    cells
      .map((cell, c) => (table.align[c] === 'right' ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(table.headers), ...table.rows.map(line)].join('\n');
}

/** Renders a table as GitHub-flavoured Markdown. */
export function renderMarkdown(table: Table): string {
  const escape = (cell: string): string => cell.replaceAll('|', '\\|');
  const header = `| ${table.headers.map(escape).join(' | ')} |`;
  const rule = `|${table.align.map((a) => (a === 'right' ? '---:' : ':---')).join('|')}|`;
  return [header, rule, ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`)].join('\n');
}
