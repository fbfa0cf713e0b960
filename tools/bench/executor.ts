// How fast could one awaited call be without JavaScript on the SQLite thread? A feasibility measurement for the
// "C thread executor" proposal (docs/benchmarks.md, "The sqlite3 drop-in's awaited calls against node-sqlite3"):
// `executor/executor.c`, a dedicated C thread that runs the benchmark's point get and insert and wakes the caller
// through a Node-API thread-safe function, against node-sqlite3, @rapsqlite/sqlite3 and @rapsqlite/engine, in one
// process, in alternating blocks of awaited calls. Run:
//   node tools/bench/executor.ts [--pairs 20] [--block 1000] [--spin 0]
// It compiles the experiment on first use (a C compiler, `cc` or $CC; about 40 s: SQLite's amalgamation as
// better-sqlite3 ships it) into tools/bench/executor/build/. `--spin` is how long the C thread polls for the next
// request before it sleeps, in microseconds (rapsqlite's worker polls 50 µs).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBetterSqlite3 } from './drivers/better-sqlite3.ts';
import type { DriverConnection, LoadContext } from './drivers/driver.ts';
import { DRIVERS } from './drivers/index.ts';
import { describeMachine } from './machine.ts';
import { Peers } from './peers.ts';
import { copyTemplate, ensureTemplates, makeWriteRows } from './schema.ts';
import { median } from './stats.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const BUILD = join(HERE, 'executor', 'build');
const ADDON = join(BUILD, 'executor.node');
const requireHere = createRequire(import.meta.url);

interface Executor {
  open(file: string, onAnswer: (answer: unknown) => void, spinMicros: number): void;
  post(kind: 0 | 1, arg: number): void;
}

/** Compiles the experiment unless it is built: SQLite's amalgamation (better-sqlite3's copy) and executor.c. */
function build(): void {
  if (existsSync(ADDON)) return;
  mkdirSync(BUILD, { recursive: true });
  const sqliteDir = join(dirname(requireHere.resolve('better-sqlite3/package.json')), 'deps', 'sqlite3');
  const napiInclude = join(dirname(requireHere.resolve('node-api-headers/package.json')), 'include');
  const cc = process.env['CC'] ?? 'cc';
  process.stderr.write(`compiling the executor experiment with ${cc} (about 40 s)…\n`);
  const object = join(BUILD, 'sqlite3.o');
  // The options of better-sqlite3's build that change what a statement costs.
  const defines = ['-DSQLITE_THREADSAFE=2', '-DSQLITE_DEFAULT_WAL_SYNCHRONOUS=1', '-DSQLITE_DQS=0', '-DSQLITE_DEFAULT_MEMSTATUS=0', '-DSQLITE_OMIT_DEPRECATED'];
  execFileSync(cc, ['-O2', '-fPIC', '-c', join(sqliteDir, 'sqlite3.c'), '-o', object, ...defines], { stdio: 'inherit' });
  execFileSync(cc, ['-O2', '-fPIC', '-shared', `-I${napiInclude}`, `-I${sqliteDir}`, join(HERE, 'executor', 'executor.c'), object, '-o', ADDON, '-lpthread', '-lm', '-ldl'], {
    stdio: 'inherit',
  });
}

/** The experiment as a benchmark connection: one request in flight, answered through the thread-safe function. */
function openExecutor(file: string, spinMicros: number): Pick<DriverConnection, 'getById' | 'insert'> {
  const executor = requireHere(ADDON) as Executor;
  let settle: ((answer: unknown) => void) | undefined;
  executor.open(
    file,
    (answer) => {
      const done = settle;
      settle = undefined;
      done?.(answer);
    },
    spinMicros,
  );
  const call = (kind: 0 | 1, arg: number): Promise<unknown> =>
    new Promise((resolve) => {
      settle = resolve;
      executor.post(kind, arg);
    });
  return { getById: (id) => call(0, id), insert: (row) => call(1, row[1]).then(() => undefined) };
}

const { values } = parseArgs({
  options: { pairs: { type: 'string', default: '20' }, block: { type: 'string', default: '1000' }, spin: { type: 'string', default: '0' } },
});
const pairs = Number(values.pairs);
const block = Number(values.block);
const spin = Number(values.spin);

build();
const peers = new Peers({ allowInstall: false, log: (line) => process.stderr.write(`${line}\n`) });
const context: LoadContext = { requirePeer: (name) => peers.require(name), peerVersion: (name) => peers.version(name) };
const templates = await ensureTemplates({ cacheDir: join(tmpdir(), 'rapsqlite-bench-templates'), itemRows: 200_000, streamRows: 1 }, loadBetterSqlite3());
const dir = mkdtempSync(join(tmpdir(), 'rapsqlite-executor-'));
const contenders = new Map<string, Pick<DriverConnection, 'getById' | 'insert' | 'quiesce'>>();
await copyTemplate(templates.main, join(dir, 'executor.db'));
contenders.set('C-thread experiment', openExecutor(join(dir, 'executor.db'), spin));
const versions: string[] = [];
for (const id of ['sqlite3', 'rapsqlite-sqlite3', 'rapsqlite']) {
  const entry = DRIVERS.find((d) => d.id === id);
  if (entry === undefined) continue;
  const loaded = await entry.load(context);
  const file = join(dir, `${id}.db`);
  await copyTemplate(templates.main, file);
  contenders.set(entry.label, await loaded.open(file));
  versions.push(`${entry.label} ${loaded.version}`);
}
const reference = 'sqlite3';
if (!contenders.has(reference)) throw new Error('node-sqlite3 is not installed: run `npm run bench -- --install-peers` first');

const machine = describeMachine();
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}; node ${machine.node}; load average ${machine.loadAverageStart.map((l) => l.toFixed(2)).join(' ')}`);
console.log(`versions: ${versions.join(', ')}; the experiment: better-sqlite3's SQLite, the C thread polling ${spin} µs`);
console.log(`${pairs} rounds of ${block} awaited calls per contender, the order alternating; µs per call (median of rounds), speed against node-sqlite3 (median of the per-round ratios)`);
const timer = setInterval(() => undefined, 1); // a server's timers, as in the benchmark's loop probe
const rows = makeWriteRows(block);
const names = [...contenders.keys()];
for (const op of ['point get', 'autocommit insert'] as const) {
  const times = new Map<string, number[]>(names.map((name) => [name, []]));
  for (let round = -1; round < pairs; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const connection = contenders.get(name)!;
      const started = performance.now();
      for (let i = 0; i < block; i++) {
        if (op === 'point get') await connection.getById(1 + ((i * 7919) % 200_000));
        else await connection.insert(rows[i]!);
      }
      const elapsed = performance.now() - started;
      await connection.quiesce?.();
      if (round >= 0) times.get(name)!.push((elapsed * 1000) / block);
    }
  }
  const base = times.get(reference)!;
  console.log(`\n${op}`);
  for (const name of names) {
    const own = times.get(name)!;
    const speed = median(own.map((t, i) => base[i]! / t));
    console.log(`  ${name.padEnd(28)} ${median(own).toFixed(1).padStart(6)} µs   ${speed.toFixed(2)}×`);
  }
}
clearInterval(timer);
rmSync(dir, { recursive: true, force: true });
process.exit(0);
