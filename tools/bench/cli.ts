import { parseArgs } from 'node:util';
import type { BenchMode } from './config.ts';

/** The command line, parsed. */
export interface CliOptions {
  readonly mode: BenchMode;
  readonly only: readonly string[] | undefined;
  readonly drivers: readonly string[] | undefined;
  readonly json: string | undefined;
  readonly compare: string | undefined;
  /** Regression threshold as a fraction (0.1 = 10 %). */
  readonly threshold: number;
  readonly failOnRegression: boolean;
  readonly rounds: number | undefined;
  readonly install: boolean;
  readonly installPeersOnly: boolean;
  readonly dir: string | undefined;
  readonly keep: boolean;
  /** Start one CPU-burning process per core for the whole run. */
  readonly contended: boolean;
  /** Write the docs chart and results block (tracked files): only when asked. */
  readonly publish: boolean | undefined;
  readonly help: boolean;
}

/** The `--help` text. */
export const USAGE = `Usage: npm run bench -- [options]      (or: node tools/bench/main.ts [options])

  --quick                 smaller counts and shorter rounds (under two minutes)
  --only <w1,w2,…>        run only these workloads
  --drivers <d1,d2,…>     run only these drivers (better-sqlite3 is kept as the baseline)
  --rounds <n>            timed rounds per workload (default 5, quick 3)
  --json <file>           also write the results to <file> (always written to tools/bench/results/latest.json)
  --compare <saved.json>  compare with a saved result; ratios below 1 are worse
  --threshold <percent>   flag regressions worse than this (default 10)
  --fail-on-regression    exit with status 3 when --compare flags a regression
  --no-install            do not install the peer drivers; skip them when missing
  --install-peers         install the peer drivers into tools/bench/.peers and exit
  --dir <path>            where the per-driver database files go (default: the OS temp folder)
  --keep                  keep the database files after the run
  --contended             start one CPU-burning process per core for the run (a busy server's machine)
  --publish               also write docs/benchmarks.svg and the results block of docs/benchmarks.md
                          (tracked files: only for a run meant to be committed)
  --help                  this text
`;

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Parses `argv` (without node and the script). Throws on unknown options. */
export function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowNegative: true,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      drivers: { type: 'string' },
      rounds: { type: 'string' },
      json: { type: 'string' },
      compare: { type: 'string' },
      threshold: { type: 'string' },
      'fail-on-regression': { type: 'boolean', default: false },
      install: { type: 'boolean', default: true },
      'install-peers': { type: 'boolean', default: false },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
      contended: { type: 'boolean', default: false },
      publish: { type: 'boolean' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const threshold = values.threshold === undefined ? 10 : Number(values.threshold);
  if (!(threshold > 0 && threshold < 100)) throw new Error(`--threshold must be a percentage between 0 and 100, got ${values.threshold}`);
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0)) throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);
  return {
    mode: values.quick ? 'quick' : 'full',
    only: list(values.only),
    drivers: list(values.drivers),
    json: values.json,
    compare: values.compare,
    threshold: threshold / 100,
    failOnRegression: values['fail-on-regression'],
    rounds,
    install: values.install,
    installPeersOnly: values['install-peers'],
    dir: values.dir,
    keep: values.keep,
    contended: values.contended,
    publish: values.publish,
    help: values.help,
  };
}
