import { randomUUID } from 'node:crypto';

/** Text for one value in a table or CSV cell: exact integers, blobs as hex (`x'00ff'`), NULL as `NULL`. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `x'${Buffer.from(value).toString('hex')}'`;
  if (typeof value === 'object') return JSON.stringify(value, jsonReplacer);
  return String(value);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('hex');
  }
  return value;
}

/**
 * JSON with 64-bit integers written as exact number literals (as SQLite's own shell does) and blobs as hex strings,
 * indented by two spaces.
 */
export function toJson(value: unknown): string {
  const marks: string[] = [];
  // A placeholder no string in the data can contain by chance, replaced by the bare digits afterwards.
  const nonce = `bigint-${randomUUID()}-`;
  const text = JSON.stringify(
    value,
    (key, v: unknown) => {
      if (typeof v === 'bigint') {
        marks.push(v.toString());
        return `${nonce}${marks.length - 1}`;
      }
      return jsonReplacer(key, v);
    },
    2,
  );
  return text.replace(new RegExp(`"${nonce}(\\d+)"`, 'g'), (_m, i: string) => marks[Number(i)]!);
}

/** A plain-text table with a header line, columns padded to their widest cell. */
export function renderTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((row) => row.map(cellText));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n') + '\n';
}

/** RFC 4180 CSV with a header line. */
export function renderCsv(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const field = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : field(cellText(v)));
  return [columns.map(field).join(','), ...rows.map((r) => r.map(cell).join(','))].join('\r\n') + '\r\n';
}

/** Bytes in a human unit: `4.0 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
