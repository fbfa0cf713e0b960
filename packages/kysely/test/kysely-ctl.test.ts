import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { open } from '@rapsqlite/engine';
import { tempDir } from './helpers.ts';

const run = promisify(execFile);
const CONFIG = fileURLToPath(new URL('./fixtures/ctl/kysely.config.ts', import.meta.url));
// The CLI as npm installs it: in this package's node_modules, or hoisted to the workspace root.
const BIN = ['../node_modules', '../../../node_modules']
  .map((dir) => fileURLToPath(new URL(`${dir}/kysely-ctl/dist/bin.mjs`, import.meta.url)))
  .find((file) => existsSync(file))!;

/** The environment without the test runner's marks (which make the CLI's logger silent) nor a CI runner's (CI turns
 * its logger into a plain reporter with another format, FORCE_COLOR adds colours). */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'NODE_ENV' || key === 'TEST' || key === 'CI' || key === 'FORCE_COLOR') delete env[key];
  return env;
}

async function kysely(command: string, file: string): Promise<string> {
  // The config imports the built package through its exports map, as an application's would.
  const { stdout, stderr } = await run(process.execPath, [BIN, command, '-c', CONFIG, '--no-outdated-check'], {
    env: { ...childEnv(), RAPSQLITE_DB: file, NO_COLOR: '1' },
  });
  return stdout + stderr;
}

describe('kysely-ctl with the rapsqlite dialect', () => {
  it('migrates up, lists and migrates down from the command line', async () => {
    await using tmp = await tempDir();
    const file = join(tmp.dir, 'cli.db');
    const latest = await kysely('migrate:latest', file);
    expect(latest).toContain('Ran 3 migrations');
    const list = await kysely('migrate:list', file);
    expect(list).toMatch(/\[✓\] 0003_attachments_and_events/);
    await kysely('migrate:down', file);
    await using db = await open(file);
    const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'kysely%' AND name NOT LIKE 'sqlite%' ORDER BY name");
    expect(tables.map((t) => t.name)).toEqual(['posts', 'users']);
    expect(await db.all('SELECT name FROM kysely_migration ORDER BY name')).toEqual([{ name: '0001_users' }, { name: '0002_posts' }]);
  });
});
