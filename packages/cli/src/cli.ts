import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { backupCommand } from './commands/backup.ts';
import { benchCommand } from './commands/bench.ts';
import { checkCommand } from './commands/check.ts';
import { diffCommand } from './commands/diff.ts';
import { dumpCommand } from './commands/dump.ts';
import { explainCommand } from './commands/explain.ts';
import { infoCommand } from './commands/info.ts';
import { maintenanceCommands } from './commands/maintenance.ts';
import { migrateCommand } from './commands/migrate.ts';
import { queryCommand } from './commands/query.ts';
import { restoreCommand } from './commands/restore.ts';
import { schemaCommand } from './commands/schema.ts';
import { typegenCommand } from './commands/typegen.ts';
import type { Context } from './context.ts';
import { EXIT_CODES, exitCodeOf } from './exit-codes.ts';
import type { CliIO } from './io.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const EXIT_HELP = `
Exit codes:
  0  done
  1  the operation failed (SQL error, failed migration)
  2  wrong command line (unknown command or option, bad argument)
  3  a file or folder named does not exist (nothing was created)
  4  the database stayed locked by another connection or process
  5  a check found problems (integrity, foreign keys, schema differences, drifted migrations)
  6  refused to overwrite (an existing backup or dump file, a database to restore into
     that has tables) without --force
  130  interrupted (Ctrl-C); backup, dump, restore and bench leave nothing behind
`;

function build(ctx: Context): Command {
  const program = new Command('rapsqlite')
    .description('Inspect, back up, dump, migrate, check and benchmark SQLite databases.')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .addHelpText('after', EXIT_HELP)
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
    });
  infoCommand(program, ctx);
  schemaCommand(program, ctx);
  typegenCommand(program, ctx);
  migrateCommand(program, ctx);
  diffCommand(program, ctx);
  checkCommand(program, ctx);
  dumpCommand(program, ctx);
  restoreCommand(program, ctx);
  backupCommand(program, ctx);
  explainCommand(program, ctx);
  queryCommand(program, ctx);
  benchCommand(program, ctx);
  maintenanceCommands(program, ctx);
  const every = (command: Command): Command[] => [command, ...command.commands.flatMap(every)];
  for (const command of every(program)) {
    command.exitOverride();
    command.configureOutput({ writeOut: (text) => ctx.io.stdout.write(text), writeErr: (text) => ctx.io.stderr.write(text) });
    const opensDb = command.registeredArguments.some((a) => a.name() === 'db') && !command.options.some((o) => o.long === '--busy-timeout');
    if (opensDb) command.option('--busy-timeout <ms>', 'how long to wait for a locked database', '5000');
  }
  return program;
}

/**
 * Runs the `rapsqlite` command line with `argv` (the arguments after the program name) and resolves to the exit
 * code; output goes to `io`. The binary calls it with the process's streams.
 *
 * @example
 * const code = await runCli(['info', 'app.db', '--json'], { stdout: process.stdout, stderr: process.stderr });
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let code: number = EXIT_CODES.OK;
  const ctx: Context = { io, cwd: io.cwd ?? process.cwd(), exit: (c) => void (code = c) };
  const program = build(ctx);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT_CODES.USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (or the help) already.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_CODES.OK;
      if (error.code === 'commander.executeSubCommandAsync') return EXIT_CODES.FAILURE;
      return EXIT_CODES.USAGE;
    }
    const exit = exitCodeOf(error);
    const errorCode = (error as { code?: unknown }).code;
    io.stderr.write(`rapsqlite: ${(error as Error)?.message ?? String(error)}${typeof errorCode === 'string' ? ` [${errorCode}]` : ''}\n`);
    return exit;
  }
}
