#!/usr/bin/env node
// Runs every workspace's `test` script under another Node.js major (default 22), from the npm package `node@<major>`.
//
//   node tools/ci/test-on-node.mjs 22
//
// `npm test` runs under the Node the repository pins (24): npm puts node_modules/.bin, where the `node` package
// links its binary, first on PATH. Here the other Node's folder comes first instead, so each test script (vitest,
// plain node) runs on it. The packages must be built already (`npm test` builds them).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const major = process.argv[2] ?? '22';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const nodePath = execFileSync(npx, ['-y', '-p', `node@${major}`, 'node', '-p', 'process.execPath'], { cwd: root, encoding: 'utf8' }).trim();
const version = execFileSync(nodePath, ['--version'], { encoding: 'utf8' }).trim();
console.log(`testing every workspace on Node ${version} (${nodePath})`);

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const workspaces = JSON.parse(execFileSync('npm', ['query', '.workspace'], { cwd: root, encoding: 'utf8' }));
const failed = [];
for (const workspace of workspaces) {
  const script = workspace.scripts?.test;
  if (script === undefined) continue;
  const dir = join(root, workspace.location);
  const env = {
    ...process.env,
    PATH: [dirname(nodePath), join(dir, 'node_modules', '.bin'), join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  };
  console.log(`\n> ${workspace.name}: ${script}`);
  const started = performance.now();
  const result = spawnSync(script, { cwd: dir, env, shell: true, stdio: 'inherit' });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) failed.push(workspace.name);
  console.log(`< ${workspace.name}: ${result.status === 0 ? 'passed' : `FAILED (status ${result.status})`} in ${seconds} s`);
}
if (failed.length > 0) {
  console.error(`\n${failed.length} workspace(s) failed on Node ${version}: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`\nevery workspace passed on Node ${version} (${manifest.name})`);
