import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/npm-alias/', import.meta.url));
const ROOT_MODULES = fileURLToPath(new URL('../../../node_modules/', import.meta.url));
const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/**
 * Lays out node_modules as npm installs the fixture's manifest (`npm:` aliases cannot be installed offline from an
 * unpublished package, so the test builds the same tree): the alias folder `sqlite3` holds @rapsqlite/sqlite3, its
 * dependencies sit beside it, and nothing else named sqlite3 is reachable.
 */
function install(app: string): void {
  const manifest = JSON.parse(readFileSync(join(FIXTURE, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const modules = join(app, 'node_modules');
  mkdirSync(join(modules, '@rapsqlite'), { recursive: true });
  for (const [alias, spec] of Object.entries(manifest.dependencies)) {
    const target = spec.startsWith('npm:') ? spec.slice(4, spec.lastIndexOf('@')) : alias;
    symlinkSync(packageDir(target), join(modules, alias), 'dir');
  }
  symlinkSync(packageDir('@rapsqlite/engine'), join(modules, '@rapsqlite', 'engine'), 'dir');
  symlinkSync(dirname(createRequire(join(packageDir('@rapsqlite/engine'), 'package.json')).resolve('better-sqlite3/package.json')), join(modules, 'better-sqlite3'), 'dir');
  for (const file of ['app.cjs', 'app.mjs']) copyFileSync(join(FIXTURE, file), join(app, file));
}

function run(app: string, file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // --preserve-symlinks: modules resolve from the app's node_modules, as in a real install; NODE_PATH only supplies
    // knex's own dependencies (lodash…), which are not part of the switch.
    execFile(
      process.execPath,
      ['--preserve-symlinks', file],
      { cwd: app, env: { ...process.env, NODE_PATH: ROOT_MODULES }, timeout: 30_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

describe('the npm alias route ("sqlite3": "npm:@rapsqlite/sqlite3")', () => {
  const { dir, cleanup } = tempDir('rapsqlite-alias-');
  beforeAll(() => install(dir));
  afterAll(() => cleanup());

  it('serves require("sqlite3") and knex’s client "sqlite3" from @rapsqlite/sqlite3, unchanged application code', async () => {
    const report = JSON.parse(await run(dir, 'app.cjs')) as Record<string, unknown>;
    expect(report).toEqual({
      resolved: '@rapsqlite/sqlite3',
      lastID: 1,
      row: { name: 'via require' },
      knex: ['a', 'b'],
      knexDriver: true,
    });
  });

  it('serves import sqlite3 from "sqlite3" (default and named exports)', async () => {
    expect(JSON.parse(await run(dir, 'app.mjs'))).toEqual({ same: true, rows: [{ one: 1 }] });
  });
});
