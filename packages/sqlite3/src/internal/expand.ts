import type { SqlValue } from '@rapsqlite/engine';
import type { Bindings } from './bind.ts';
import type { SqlPlan } from './sql-plan.ts';

/** A REAL as SQLite's `%!.15g` prints it: 15 significant digits, `.0` kept on integral values, `Inf` for infinities. */
export function formatReal(value: number): string {
  if (value === Infinity) return 'Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const exponent = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(15)))));
  if (exponent < -4 || exponent >= 15) {
    const [mantissa = '0', exp = '0'] = value.toExponential(14).split('e');
    let digits = mantissa.replace(/0+$/, '');
    if (digits.endsWith('.')) digits += '0';
    const e = Number(exp);
    return `${digits}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  let fixed = value.toFixed(Math.max(0, 14 - exponent));
  if (fixed.includes('.')) fixed = fixed.replace(/0+$/, '');
  return fixed.endsWith('.') ? `${fixed}0` : fixed.includes('.') ? fixed : `${fixed}.0`;
}

function literal(value: SqlValue | undefined): string {
  if (value === undefined || value === null) return 'NULL';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isNaN(value) ? 'NULL' : formatReal(value);
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  return `x'${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}'`;
}

/**
 * The statement text with its parameters replaced by the bound values, as `sqlite3_expanded_sql` (and so
 * node-sqlite3's `trace` event) renders them.
 */
export function expandSql(plan: SqlPlan, bindings: Bindings): string {
  if (plan.sites.length === 0) return plan.text;
  let out = '';
  let at = 0;
  for (const site of plan.sites) {
    out += plan.text.slice(at, site.start) + literal(bindings[site.index - 1]);
    at = site.end;
  }
  return out + plan.text.slice(at);
}
