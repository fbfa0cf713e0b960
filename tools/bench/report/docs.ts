import { readFile, writeFile } from 'node:fs/promises';
import type { BenchReport } from '../results.ts';
import { renderMarkdown } from './format.ts';
import { checkTargets, targetTable } from './targets.ts';
import { driversTable, environmentLines, subjectRatioLines, verdictTable, workloadTable } from './tables.ts';

/** Marks the start of the block of docs/benchmarks.md that a publishing run rewrites. */
export const RESULTS_BEGIN = '<!-- bench:results:begin (written by tools/bench; do not edit by hand) -->';
/** Marks the end of that block. */
export const RESULTS_END = '<!-- bench:results:end -->';

/** The results of a run as Markdown: environment, drivers, one table per workload, the detector, the targets. */
export function resultsMarkdown(report: BenchReport): string {
  const parts: string[] = [];
  parts.push(`Run of ${report.startedAt} (${report.config.mode} mode, ${report.durationSeconds.toFixed(0)} s).`, '');
  for (const line of environmentLines(report)) parts.push(`- ${line}`);
  parts.push('', renderMarkdown(driversTable(report.drivers)), '');
  for (const workload of report.workloads) {
    parts.push(`#### \`${workload.id}\``, '', `${workload.description}.`, '', renderMarkdown(workloadTable(report, workload)), '');
    for (const line of subjectRatioLines(report, workload)) parts.push(`- ${line}`);
    parts.push('');
  }
  const verdicts = verdictTable(report);
  if (verdicts.rows.length > 0) parts.push('#### Fake-async detector', '', renderMarkdown(verdicts), '');
  const checks = checkTargets(report);
  if (checks.length > 0) parts.push('#### The targets, as computed from this run', '', renderMarkdown(targetTable(checks)), '');
  return parts.join('\n');
}

/** Replaces the results block of `path` with this run's results. Returns false when the markers are missing. */
export async function updateResultsBlock(path: string, report: BenchReport): Promise<boolean> {
  const text = await readFile(path, 'utf8');
  const begin = text.indexOf(RESULTS_BEGIN);
  const end = text.indexOf(RESULTS_END);
  if (begin < 0 || end < begin) return false;
  const next = `${text.slice(0, begin + RESULTS_BEGIN.length)}\n\n${resultsMarkdown(report)}\n${text.slice(end)}`;
  await writeFile(path, next);
  return true;
}
