/**
 * @rapsqlite/cli: the `rapsqlite` command line — info, schema, typegen, migrations, diff, check, query, bench,
 * vacuum and optimize. `runCli` runs it in-process.
 */
export { runCli } from './cli.ts';
export { EXIT_CODES } from './exit-codes.ts';
export type { ExitCode } from './exit-codes.ts';
export type { CliIO, CliStream } from './io.ts';
