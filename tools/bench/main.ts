/**
 * tools/bench: rapsqlite against its peers, with a fake-async detector. See docs/benchmarks.md.
 *
 *   npm run bench                    full suite
 *   npm run bench -- --quick         under two minutes
 *   npm run bench -- --compare tools/bench/results/saved.json
 */
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseCli, USAGE } from './cli.ts';
import type { CliOptions } from './cli.ts';
import { configFor } from './config.ts';
import type { BenchConfig } from './config.ts';
import { loadBetterSqlite3 } from './drivers/better-sqlite3.ts';
import type { BetterSqlite3Module } from './drivers/better-sqlite3.ts';
import { DriverUnavailable, isPromise } from './drivers/driver.ts';
import type { DriverEntry, LoadContext } from './drivers/driver.ts';
import { BASELINE_DRIVER, DRIVERS } from './drivers/index.ts';
import { CHILD_FLAG, createIsolatedRunner, runChild } from './isolated.ts';
import { startBurners, type Burners } from './contention.ts';
import { describeMachine } from './machine.ts';
import { createCollector } from './memory.ts';
import { Peers } from './peers.ts';
import { renderChart } from './report/chart.ts';
import { compareReports, comparisonTable } from './report/compare.ts';
import { updateResultsBlock } from './report/docs.ts';
import { renderText } from './report/format.ts';
import { checkTargets, targetTable } from './report/targets.ts';
import { driversTable, environmentLines, subjectRatioLines, verdictTable, workloadTable } from './report/tables.ts';
import type { BenchReport, DriverInfo, WorkloadResult } from './results.ts';
import { runWorkload } from './runner.ts';
import type { DriverSlot } from './runner.ts';
import { copyTemplate, ensureTemplates, SQL } from './schema.ts';
import { WORKLOADS } from './workloads.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const DOCS_MD = join(REPO, 'docs', 'benchmarks.md');
const DOCS_SVG = join(REPO, 'docs', 'benchmarks.svg');

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function settled<T>(value: T | Promise<T>): Promise<T> {
  return isPromise(value) ? await value : value;
}

/** A mistake on the command line: reported without a stack trace. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

function pick<T extends { readonly id: string }>(all: readonly T[], wanted: readonly string[] | undefined, what: string): T[] {
  if (wanted === undefined) return [...all];
  const unknown = wanted.filter((id) => !all.some((item) => item.id === id));
  if (unknown.length > 0) throw new UsageError(`unknown ${what}: ${unknown.join(', ')} (known: ${all.map((i) => i.id).join(', ')})`);
  return all.filter((item) => wanted.includes(item.id));
}

/**
 * Sets the bound of the long recursive query so that better-sqlite3 runs it in about `targetMs` of CPU: a first
 * guess from a short run, then corrections from runs of a quarter of the target (the cost per row is not quite
 * linear). CPU time rather than wall time, so that a busy machine does not shrink the query.
 */
function calibrateLongQuery(Database: BetterSqlite3Module, targetMs: number): number {
  const db = new Database(':memory:');
  const clock =
    typeof process.threadCpuUsage === 'function'
      ? () => {
          const usage = process.threadCpuUsage();
          return (usage.user + usage.system) / 1000;
        }
      : () => performance.now();
  try {
    const statement = db.prepare(SQL.long);
    const time = (n: number): number => {
      const started = clock();
      statement.get(n);
      return Math.max(clock() - started, 0.1);
    };
    time(50_000);
    let n = 100_000;
    for (let step = 0; step < 3; step++) n = Math.round((n * targetMs) / 4 / time(n));
    return n * 4;
  } finally {
    db.close();
  }
}

interface OpenedDrivers {
  readonly slots: DriverSlot[];
  readonly infos: DriverInfo[];
}

async function openDrivers(
  entries: readonly DriverEntry[],
  context: LoadContext,
  templates: { main: string; stream: string },
  workDir: string,
  needStream: boolean,
): Promise<OpenedDrivers> {
  const slots: DriverSlot[] = [];
  const infos: DriverInfo[] = [];
  for (const entry of entries) {
    const base = { id: entry.id, label: entry.label, kind: entry.kind, subject: entry.subject };
    try {
      const loaded = await entry.load(context);
      const file = join(workDir, `${entry.id}.db`);
      const streamFile = join(workDir, `${entry.id}-stream.db`);
      await copyTemplate(templates.main, file);
      if (needStream) await copyTemplate(templates.stream, streamFile);
      const connection = await loaded.open(file);
      const sqliteVersion = String(await settled(connection.scalar('SELECT sqlite_version()')));
      const journalMode = String(await settled(connection.scalar('PRAGMA journal_mode')));
      const synchronous = String(await settled(connection.scalar('PRAGMA synchronous')));
      if (journalMode !== 'wal' || synchronous !== '1') {
        progress(`warning: ${entry.label} runs with journal_mode=${journalMode}, synchronous=${synchronous} (expected wal, 1)`);
      }
      slots.push({ entry, connection, streamFile });
      infos.push({
        ...base,
        available: true,
        version: loaded.version,
        sqliteVersion,
        journalMode,
        synchronous: synchronous === '1' ? 'NORMAL' : synchronous,
        ...(loaded.details === undefined ? {} : { details: loaded.details }),
      });
    } catch (error) {
      const reason = error instanceof DriverUnavailable ? error.message : `failed to open: ${error instanceof Error ? error.message : String(error)}`;
      progress(`skipping ${entry.label}: ${reason}`);
      infos.push({ ...base, available: false, reason });
    }
  }
  return { slots, infos };
}

function printWorkload(report: BenchReport, workload: WorkloadResult): void {
  console.log(`\n${workload.id} — ${workload.description}`);
  console.log(renderText(workloadTable(report, workload)));
  for (const line of subjectRatioLines(report, workload)) console.log(`  ${line}`);
}

async function run(cli: CliOptions): Promise<number> {
  const peers = new Peers({ allowInstall: cli.install, log: progress });
  if (cli.installPeersOnly) {
    const outcome = await peers.install();
    return outcome.ok ? 0 : 1;
  }
  const config: BenchConfig = configFor(cli.mode, cli.rounds);
  const workloads = pick(WORKLOADS, cli.only, 'workload');
  const wantedDrivers = cli.drivers === undefined ? undefined : [...new Set([BASELINE_DRIVER, ...cli.drivers])];
  const entries = pick(DRIVERS, wantedDrivers, 'driver');
  const startedAt = new Date();
  const started = performance.now();
  const machine = describeMachine();

  const Database = loadBetterSqlite3();
  progress('preparing data (templates are cached in the OS temp folder)…');
  const templates = await ensureTemplates(
    { cacheDir: join(tmpdir(), 'rapsqlite-bench-templates'), itemRows: config.itemRows, streamRows: config.streamRows },
    Database,
  );
  const ownDir = cli.dir === undefined;
  const workDir = ownDir ? await mkdtemp(join(tmpdir(), 'rapsqlite-bench-')) : resolve(cli.dir ?? '.');
  await mkdir(workDir, { recursive: true });
  const ourFiles = entries.flatMap((entry) =>
    [`${entry.id}.db`, `${entry.id}-stream.db`].flatMap((name) => ['', '-wal', '-shm'].map((suffix) => join(workDir, name + suffix))),
  );
  const removeFiles = (): void => {
    if (cli.keep) return;
    if (ownDir) rmSync(workDir, { recursive: true, force: true });
    else for (const file of ourFiles) rmSync(file, { force: true });
  };
  // An interrupted run must not leave hundreds of megabytes in the temp folder.
  let burners: Burners | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    burners?.stop();
    removeFiles();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let slots: DriverSlot[] = [];
  let header: BenchReport | undefined;
  const results: WorkloadResult[] = [];
  try {
    const context: LoadContext = { requirePeer: (name) => peers.require(name), peerVersion: (name) => peers.version(name) };
    const needStream = workloads.some((w) => w.requires === 'iterate');
    const opened = await openDrivers(entries, context, templates, workDir, needStream);
    slots = opened.slots;
    const longQueryN = workloads.some((w) => w.id === 'long-query') ? calibrateLongQuery(Database, config.longQueryMs) : 0;
    header = {
      schema: 1,
      startedAt: startedAt.toISOString(),
      durationSeconds: 0,
      config,
      argv: process.argv.slice(2),
      machine,
      baseline: BASELINE_DRIVER,
      drivers: opened.infos,
      ...(longQueryN > 0 ? { longQueryN } : {}),
      ...(cli.contended ? { contended: machine.cores } : {}),
      workloads: [],
    };
    console.log('rapsqlite benchmark');
    for (const line of environmentLines(header)) console.log(`  ${line}`);
    console.log(renderText(driversTable(opened.infos)));
    if (!opened.infos.some((d) => d.id === BASELINE_DRIVER && d.available)) {
      throw new Error('the baseline, better-sqlite3, could not be opened');
    }
    const env = {
      config,
      collect: createCollector(),
      longQueryN,
      baseline: BASELINE_DRIVER,
      runIsolated: createIsolatedRunner(config),
      progress,
    };
    // Started after the data and the long query's calibration, so that only the workloads run contended.
    if (cli.contended) burners = startBurners(machine.cores);
    for (const workload of workloads) {
      const t = performance.now();
      progress(`▸ ${workload.id}…`);
      const result = await runWorkload(workload, slots, env);
      results.push(result);
      printWorkload({ ...header, workloads: results }, result);
      progress(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    }
  } finally {
    burners?.stop();
    for (const slot of slots) {
      try {
        await settled(slot.connection.close());
      } catch (error) {
        progress(`closing ${slot.entry.label} failed: ${String(error)}`);
      }
    }
    removeFiles();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const report: BenchReport = {
    ...header,
    durationSeconds: (performance.now() - started) / 1000,
    machine: { ...machine, loadAverageEnd: loadavg() },
    workloads: results,
  };

  const verdicts = verdictTable(report);
  if (verdicts.rows.length > 0) {
    console.log('\nfake-async detector — the event loop during the long query');
    console.log(renderText(verdicts));
  }
  const checks = checkTargets(report);
  if (checks.length > 0) {
    console.log('\nrapsqlite\'s targets (docs/benchmarks.md)');
    console.log(renderText(targetTable(checks)));
  }

  await mkdir(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const written = [join(RESULTS_DIR, 'latest.json')];
  if (cli.json !== undefined) written.push(resolve(cli.json));
  for (const path of written) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, json);
  }
  const svg = renderChart(report);
  written.push(join(RESULTS_DIR, 'latest.svg'));
  await writeFile(join(RESULTS_DIR, 'latest.svg'), svg);
  // Tracked files change only on request: a run's scratch output stays in the git-ignored results folder.
  const publish = cli.publish === true;
  if (publish) {
    await writeFile(DOCS_SVG, svg);
    written.push(DOCS_SVG);
    if (await updateResultsBlock(DOCS_MD, report).catch(() => false)) written.push(DOCS_MD);
    else progress(`note: ${relative(REPO, DOCS_MD)} has no results markers; not updated`);
  }
  console.log(`\nwritten: ${written.map((p) => relative(process.cwd(), p) || p).join(', ')}`);

  let status = 0;
  if (cli.compare !== undefined) {
    const saved = JSON.parse(await readFile(resolve(cli.compare), 'utf8')) as BenchReport;
    const comparisons = compareReports(report, saved, cli.threshold);
    const regressions = comparisons.filter((c) => c.regressed);
    console.log(
      `\ncompared with ${cli.compare} (${saved.startedAt}, ${saved.config.mode} mode); ratios below 1 are worse, flagged beyond ${(cli.threshold * 100).toFixed(0)} %`,
    );
    if (saved.config.mode !== report.config.mode) console.log(`  warning: the saved run used ${saved.config.mode} mode, this one ${report.config.mode}`);
    if ((saved.contended ?? 0) !== (report.contended ?? 0)) {
      console.log(`  warning: the saved run had ${saved.contended ?? 0} CPU-burning processes, this one ${report.contended ?? 0}`);
    }
    const shown = comparisons.filter((c) => c.metric === 'ops/s' || c.metric === 'vs baseline' || c.regressed);
    console.log(renderText(comparisonTable(shown, false)));
    console.log(`  ${regressions.length} regression(s)`);
    if (regressions.length > 0 && cli.failOnRegression) status = 3;
  }
  console.log(`\ndone in ${report.durationSeconds.toFixed(1)} s`);
  return status;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === CHILD_FLAG) {
    await runChild(argv[1] ?? '{}');
    return;
  }
  let cli: CliOptions;
  try {
    cli = parseCli(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (cli.help) {
    process.stdout.write(USAGE);
    return;
  }
  try {
    process.exitCode = await run(cli);
  } catch (error) {
    const text = error instanceof UsageError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`bench: ${text}\n`);
    process.exitCode = 1;
  }
}

await main();
