import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { open, type Database } from '@rapsqlite/engine';
import { createMigration, createMigrator, diff, type MigrateResult, type MigratorEvent, type MigratorOptions } from '@rapsqlite/migrate';
import { CliError, EXIT_CODES } from '../exit-codes.ts';
import { renderTable, toJson } from '../format.ts';
import { exists, intFlag, mustExist, openDb, type DbFlags } from '../open-db.ts';
import { createProgress } from '../progress.ts';
import type { Context } from '../context.ts';

interface MigrateFlags extends DbFlags {
  dir: string;
  layout: 'rapsqlite' | 'sqlite';
  table?: string;
  lockTimeout?: string;
  json?: boolean;
  dryRun?: boolean;
  force?: boolean;
  progress?: boolean;
}

function shared(command: Command): Command {
  return command
    .option('--dir <folder>', 'the migrations folder', 'migrations')
    .addOption(new Option('--layout <layout>', "file layout ('sqlite' reads the sqlite package's migrate() files)").choices(['rapsqlite', 'sqlite']).default('rapsqlite'))
    .option('--table <name>', 'the history table (default rapsqlite_migrations)')
    .option('--lock-timeout <ms>', 'how long to wait for another process migrating', '60000')
    .option('--busy-timeout <ms>', 'how long to wait for a locked database', '5000');
}

async function folderMustExist(path: string): Promise<void> {
  try {
    if (!(await stat(path)).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new CliError(EXIT_CODES.NOT_FOUND, `No such migrations folder: ${path}`, 'ENOENT');
  }
}

async function withMigrator<T>(ctx: Context, path: string, flags: MigrateFlags, create: boolean, onEvent: ((e: MigratorEvent) => void) | undefined, run: (m: ReturnType<typeof createMigrator>, db: Database) => Promise<T>): Promise<T> {
  const dir = resolve(ctx.cwd, flags.dir);
  await folderMustExist(dir);
  // A dry run against a database that does not exist yet plans on an empty one, and creates no file.
  const db = flags.dryRun === true && !(await exists(resolve(ctx.cwd, path))) ? await open(':memory:') : await openDb(ctx.cwd, path, flags, { create });
  try {
    const options: MigratorOptions = {
      dir,
      layout: flags.layout,
      lockTimeoutMs: intFlag('--lock-timeout', flags.lockTimeout, 60_000),
      ...(flags.table === undefined ? {} : { table: flags.table }),
      ...(onEvent === undefined ? {} : { onEvent }),
    };
    return await run(createMigrator(db, options), db);
  } finally {
    await db.close();
  }
}

function report(ctx: Context, result: MigrateResult, flags: MigrateFlags): void {
  if (flags.json === true) {
    ctx.io.stdout.write(`${toJson(result)}\n`);
    return;
  }
  if (result.dryRun) {
    ctx.io.stdout.write(result.sql === '' ? '-- nothing to do\n' : `${result.sql}\n`);
    return;
  }
  // Taking a free lock costs a few milliseconds; only a wait an operator would notice is worth a line.
  if (result.waitedMs >= 250) ctx.io.stderr.write(`waited ${Math.round(result.waitedMs)} ms for another process's migrations\n`);
  if (result.runs.length === 0) ctx.io.stdout.write('nothing to do\n');
  for (const run of result.runs) ctx.io.stdout.write(`${run.direction === 'up' ? 'applied' : 'rolled back'} ${run.name} (${run.durationMs.toFixed(1)} ms)\n`);
}

function progressFor(ctx: Context, flags: MigrateFlags): { onEvent: (e: MigratorEvent) => void; stop: () => void } {
  const bar = createProgress(ctx.io.stderr, flags.progress !== false && flags.json !== true && flags.dryRun !== true);
  return {
    onEvent(event) {
      if (event.type === 'plan' && event.names.length > 0) bar.start(event.names.length, '');
      if (event.type === 'start') bar.update(event.index, event.name);
      if (event.type === 'done') bar.update(event.index + 1, event.name);
    },
    stop: () => bar.stop(),
  };
}

/** `migrate status|up|down|redo|create`. */
export function migrateCommand(program: Command, ctx: Context): void {
  const migrate = program.command('migrate').description('apply, roll back and create migrations');

  shared(migrate.command('status').description('every migration with its state (exit 5 when applied files drifted or are missing)').argument('<db>', 'database file'))
    .option('--json', 'print JSON')
    .action(async (path: string, flags: MigrateFlags) => {
      const statuses = await withMigrator(ctx, path, flags, false, undefined, (m) => m.status());
      if (flags.json === true) ctx.io.stdout.write(`${toJson(statuses)}\n`);
      else if (statuses.length === 0) ctx.io.stdout.write('no migrations\n');
      else ctx.io.stdout.write(renderTable(['migration', 'state', 'applied at', 'ms'], statuses.map((s) => [s.name, s.state, s.appliedAt ?? '', s.durationMs === undefined ? '' : s.durationMs.toFixed(1)])));
      if (statuses.some((s) => s.state === 'drifted' || s.state === 'missing')) ctx.exit(EXIT_CODES.CHECK_FAILED);
    });

  shared(migrate.command('up').description('apply pending migrations (creates the database file if missing)').argument('<db>', 'database file'))
    .option('--to <migration>', 'stop after this migration (name or version)')
    .option('--dry-run', 'print the SQL, change nothing')
    .option('--force', 'go on although applied migrations drifted')
    .option('--json', 'print JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (path: string, flags: MigrateFlags & { to?: string }) => {
      const progress = progressFor(ctx, flags);
      try {
        const result = await withMigrator(ctx, path, flags, flags.dryRun !== true, progress.onEvent, (m) =>
          m.up({ ...(flags.to === undefined ? {} : { to: flags.to }), dryRun: flags.dryRun === true, force: flags.force === true }),
        );
        progress.stop();
        report(ctx, result, flags);
      } finally {
        progress.stop();
      }
    });

  shared(migrate.command('down').description('roll back the newest migrations (one by default)').argument('<db>', 'database file'))
    .option('--steps <n>', "how many, or 'all'", '1')
    .option('--to <migration>', 'roll back everything applied after this one')
    .option('--dry-run', 'print the SQL, change nothing')
    .option('--force', 'go on although applied migrations drifted')
    .option('--json', 'print JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (path: string, flags: MigrateFlags & { steps: string; to?: string }) => {
      const steps = flags.steps === 'all' ? 'all' : intFlag('--steps', flags.steps, 1);
      const progress = progressFor(ctx, flags);
      try {
        const result = await withMigrator(ctx, path, flags, false, progress.onEvent, (m) =>
          m.down({ ...(flags.to === undefined ? { steps } : { to: flags.to }), dryRun: flags.dryRun === true, force: flags.force === true }),
        );
        progress.stop();
        report(ctx, result, flags);
      } finally {
        progress.stop();
      }
    });

  shared(migrate.command('redo').description('roll back the newest migration and apply it again').argument('<db>', 'database file'))
    .option('--dry-run', 'print the SQL, change nothing')
    .option('--force', 'go on although applied migrations drifted')
    .option('--json', 'print JSON')
    .action(async (path: string, flags: MigrateFlags) => {
      const result = await withMigrator(ctx, path, flags, false, undefined, (m) => m.redo({ dryRun: flags.dryRun === true, force: flags.force === true }));
      report(ctx, result, flags);
    });

  migrate
    .command('create')
    .description('write a new migration file (empty, or the diff from a database to a schema)')
    .argument('<name>', 'what the migration does, e.g. "add users email"')
    .option('--dir <folder>', 'the migrations folder (created if missing)', 'migrations')
    .addOption(new Option('--layout <layout>', 'file layout').choices(['rapsqlite', 'sqlite']).default('rapsqlite'))
    .addOption(new Option('--ext <extension>', 'file type').choices(['sql', 'ts', 'js']).default('sql'))
    .addOption(new Option('--numbering <style>', 'how the file is numbered').choices(['auto', 'number', 'timestamp']).default('auto'))
    .option('--from-diff <db>', 'fill it with the SQL that turns this database into --schema')
    .option('--schema <file>', 'the target schema for --from-diff (.sql file or database)')
    .action(async (name: string, flags: { dir: string; layout: 'rapsqlite' | 'sqlite'; ext: 'sql' | 'ts' | 'js'; numbering: 'auto' | 'number' | 'timestamp'; fromDiff?: string; schema?: string }) => {
      let up: string | undefined;
      let down: string | undefined;
      if ((flags.fromDiff === undefined) !== (flags.schema === undefined)) throw new CliError(EXIT_CODES.USAGE, '--from-diff and --schema go together.', 'ERR_RAPSQLITE_INVALID_ARGUMENT');
      if (flags.fromDiff !== undefined && flags.schema !== undefined) {
        const [from, to] = [resolve(ctx.cwd, flags.fromDiff), resolve(ctx.cwd, flags.schema)];
        await mustExist(from);
        await mustExist(to, 'schema');
        const forward = await diff(from, to);
        if (forward.empty) {
          ctx.io.stderr.write('the database already matches the schema; no migration written\n');
          return;
        }
        up = forward.sql.trimEnd();
        down = (await diff(to, from)).sql.trimEnd();
        for (const warning of forward.warnings) ctx.io.stderr.write(`warning: ${warning}\n`);
      }
      const created = await createMigration(resolve(ctx.cwd, flags.dir), name, {
        layout: flags.layout,
        extension: flags.ext,
        numbering: flags.numbering,
        ...(up === undefined ? {} : { up }),
        ...(down === undefined ? {} : { down }),
      });
      ctx.io.stdout.write(`${created.path}\n`);
    });
}
