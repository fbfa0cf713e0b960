import type { Command } from 'commander';
import type { Finding, PlanNode, QueryPlan } from '@rapsqlite/engine';
import { colorWanted, painter, type Paint, type Style } from '../color.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { toJson } from '../format.ts';
import { intFlag, openDb, type DbFlags } from '../open-db.ts';
import type { Context } from '../context.ts';

interface ExplainFlags extends DbFlags {
  param?: string[];
  largeTableRows: string;
  verify: boolean;
  json?: boolean;
  color?: boolean;
  exitCode?: boolean;
}

const KIND_NAMES: Record<Finding['kind'], string> = {
  'full-scan': 'full scan',
  'temp-btree': 'temporary b-tree',
  'automatic-index': 'automatic index',
  'correlated-subquery': 'correlated subquery',
  'like-no-index': 'LIKE without an index',
};

/** Draws plan nodes as a tree under `indent`; `style` picks a colour for a line (or none). */
function tree(nodes: readonly PlanNode[], indent: string, paint: Paint, style: (detail: string) => Style | undefined): string[] {
  const lines: string[] = [];
  const draw = (level: readonly PlanNode[], prefix: string): void => {
    level.forEach((node, i) => {
      const last = i === level.length - 1;
      const s = style(node.detail);
      lines.push(`${indent}${paint('dim', `${prefix}${last ? '└─ ' : '├─ '}`)}${s === undefined ? node.detail : paint(s, node.detail)}`);
      draw(node.children, prefix + (last ? '   ' : '│  '));
    });
  };
  draw(nodes, '');
  return lines;
}

/** The plan: the lines findings are about in the warning colour, index searches in the good one. */
function renderPlan(result: QueryPlan, paint: Paint): string[] {
  const flagged = new Set(result.findings.map((f) => f.detail));
  return [paint('bold', 'QUERY PLAN'), ...tree(result.plan, '', paint, (d) => (flagged.has(d) ? 'warn' : /^SEARCH\b/.test(d) ? 'good' : undefined))];
}

/** The findings, each with its proposal and what verifying it showed. */
function renderAdvice(result: QueryPlan, paint: Paint): string[] {
  if (result.findings.length === 0) return ['', paint('good', 'no advice: nothing in this plan stands out')];
  const lines = ['', paint('bold', `advice (${result.findings.length})`)];
  for (const finding of result.findings) {
    lines.push(`${paint('warn', '!')} ${paint('bold', KIND_NAMES[finding.kind])}: ${finding.message}`);
    const proposal = finding.proposal;
    if (proposal === undefined) continue;
    lines.push(`    ${paint('code', `${proposal.sql};`)}`);
    const v = proposal.verification;
    if (v === undefined) lines.push(`    ${paint('dim', 'not verified (--no-verify)')}`);
    else if (v.status === 'improved') {
      lines.push(`    ${paint('good', 'verified: SQLite would use it; the plan with it:')}`);
      const index = proposal.sql.match(/^CREATE INDEX ("(?:[^"]|"")*")/)?.[1]?.slice(1, -1).replaceAll('""', '"');
      lines.push(...tree(v.planAfter, '      ', paint, (d) => (index !== undefined && d.includes(index) ? 'good' : 'dim')));
    } else if (v.status === 'unchanged') lines.push(`    ${paint('dim', 'verified: SQLite would not use it; do not create it')}`);
    else lines.push(`    ${paint('bad', `could not verify: ${v.error ?? 'the copy did not plan the statement'}`)}`);
    if (v !== undefined && !v.planMatched) lines.push(`    ${paint('dim', 'the schema-only copy planned the statement differently from the database: take this as a hint')}`);
  }
  return lines;
}

/** `explain <db> <sql>`: the query plan as a tree, with findings and verified index proposals. */
export function explainCommand(program: Command, ctx: Context): void {
  program
    .command('explain')
    .description('the query plan of a statement as a tree, with index advice verified on a schema-only copy (the statement never runs)')
    .argument('<db>', 'database file')
    .argument('<sql>', 'the statement')
    .option('-p, --param <value...>', 'positional parameters (NULLs stand in for missing ones)')
    .option('--large-table-rows <n>', 'a full scan is a finding from this many rows', '1000')
    .option('--no-verify', 'do not verify the proposed indexes (faster; opens no in-memory copy)')
    .option('--json', 'print JSON')
    .option('--color', 'colour even when stdout is not a terminal')
    .option('--no-color', 'no colour')
    .option('--exit-code', `exit with ${EXIT_CODES.CHECK_FAILED} when there is advice`)
    .action(async (path: string, sql: string, flags: ExplainFlags) => {
      const largeTableRows = intFlag('--large-table-rows', flags.largeTableRows, 1000);
      const db = await openDb(ctx.cwd, path, flags, { readonly: true });
      let result: QueryPlan;
      try {
        result = await db.explain(sql, flags.param, { largeTableRows, verify: flags.verify });
      } finally {
        await db.close();
      }
      if (flags.json === true) ctx.io.stdout.write(`${toJson(result)}\n`);
      else {
        const paint = painter(colorWanted(ctx.io.stdout, ctx.io.env ?? process.env, flags.color));
        ctx.io.stdout.write(`${[...renderPlan(result, paint), ...renderAdvice(result, paint)].join('\n')}\n`);
      }
      if (flags.exitCode === true && result.findings.length > 0) ctx.exit(EXIT_CODES.CHECK_FAILED);
    });
}
