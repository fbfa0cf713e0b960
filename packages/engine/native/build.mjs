#!/usr/bin/env node
// Builds the rapsqlite native companion with node-gyp, offline, during `npm install`.
//
// It never fails the install: whatever happens it prints one line and exits 0, and rapsqlite then works without
// the companion (see README.md). Environment:
//   RAPSQLITE_SKIP_COMPANION_BUILD=1   do not build
//   RAPSQLITE_BUILD_FROM_SOURCE=1      build even when a prebuilt binary for this platform ships in the package
//   RAPSQLITE_COMPANION_VERBOSE=1      stream node-gyp's output instead of keeping it in build/build.log
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = path.join(here, 'build', 'Release', 'rapsqlite_companion.node');
const logFile = path.join(here, 'build', 'build.log');
const verbose = process.env.RAPSQLITE_COMPANION_VERBOSE === '1';
const started = process.hrtime.bigint();

function say(message) {
  process.stdout.write(`rapsqlite: ${message}\n`);
}

function fallback(reason) {
  say(`native companion not built (${reason}); rapsqlite works without it, but cannot stop a running query in place.`);
  process.exit(0);
}

function platformTag() {
  let platform = process.platform;
  if (platform === 'linux') {
    try {
      if (readFileSync('/proc/self/maps', 'latin1').includes('/ld-musl-')) platform = 'linuxmusl';
    } catch {
      // No procfs: assume glibc.
    }
  }
  return `${platform}-${process.arch}`;
}

/** node-gyp's CLI script: the one npm hands to install scripts, else the copy bundled with npm. */
function findNodeGyp() {
  const bundled = (npmRoot) => path.join(npmRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const nodeDir = path.dirname(process.execPath);
  const candidates = [
    () => process.env.npm_config_node_gyp,
    () => createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'),
    () => process.env.npm_execpath && bundled(path.dirname(path.dirname(process.env.npm_execpath))),
    () => bundled(path.join(nodeDir, '..', 'lib', 'node_modules', 'npm')),
    () => bundled(path.join(nodeDir, 'node_modules', 'npm')),
    () => bundled('/usr/lib/node_modules/npm'),
    () => bundled('/usr/local/lib/node_modules/npm'),
    // Last, as it starts npm (slow, and it may write to ~/.npm): where the npm on PATH is installed.
    ...['lib/node_modules/npm', 'node_modules/npm'].map((below) => () => {
      const prefix = spawnSync('npm', ['prefix', '-g'], {
        encoding: 'utf8',
        shell: process.platform === 'win32',
        timeout: 30_000,
      });
      return prefix.status === 0 && prefix.stdout.trim() !== '' ? bundled(path.join(prefix.stdout.trim(), below)) : '';
    }),
  ];
  for (const candidate of candidates) {
    let file;
    try {
      file = candidate();
    } catch {
      continue;
    }
    if (file && existsSync(file)) return file;
  }
  return undefined;
}

/** The line of node-gyp's output that best says what went wrong. */
function summarize(log) {
  const lines = log.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const generic = /^gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/;
  const line =
    lines.find((l) => /(^|\s)(fatal )?error:/i.test(l) && !l.startsWith('gyp ')) ?? // the compiler's own words
    lines.findLast((l) => /^[A-Za-z]*Error: /.test(l)) ?? // a Python exception, e.g. no compiler
    lines.find((l) => l.startsWith('gyp ERR!') && !generic.test(l) && l.length > 'gyp ERR! configure error'.length) ??
    lines.find((l) => l.startsWith('gyp ERR!') && !generic.test(l));
  return (line ?? 'unknown error').slice(0, 240);
}

function main() {
  if (process.env.RAPSQLITE_SKIP_COMPANION_BUILD === '1') fallback('RAPSQLITE_SKIP_COMPANION_BUILD=1');

  const prebuilt = path.join(here, '..', 'prebuilds', platformTag(), 'rapsqlite_companion.node');
  if (existsSync(prebuilt) && process.env.RAPSQLITE_BUILD_FROM_SOURCE !== '1') {
    say(`using the prebuilt native companion for ${platformTag()}.`);
    process.exit(0);
  }

  const nodeGyp = findNodeGyp();
  if (nodeGyp === undefined) fallback('node-gyp not found; it ships with npm');

  const args = [realpathSync(nodeGyp), 'rebuild', '--release'];
  // Node-API needs only the headers of the node-api-headers package, which binding.gyp adds itself. Pointing
  // --nodedir at a stand-in keeps node-gyp from downloading the full Node.js headers, so the build is offline.
  // On Windows node-gyp also needs node.lib from a real Node.js distribution: there it fetches the headers itself.
  if (process.platform !== 'win32') args.push(`--nodedir=${path.join(here, 'gyp-nodedir')}`);

  const env = {
    ...process.env,
    // binding.gyp asks `node` for the include directories: make it this very Node.js.
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
  const result = spawnSync(process.execPath, args, {
    cwd: here,
    env,
    encoding: 'utf8',
    stdio: verbose ? 'inherit' : 'pipe',
    timeout: 10 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const log = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (!verbose) {
    try {
      mkdirSync(path.dirname(logFile), { recursive: true });
      writeFileSync(logFile, log);
    } catch {
      // The log is a convenience; a read-only package directory must not fail the install.
    }
  }
  if (result.error !== undefined) fallback(`node-gyp could not run: ${result.error.message}`);
  if (result.status !== 0 || !existsSync(binary)) {
    fallback(`node-gyp failed: ${summarize(log)}; full log in ${path.relative(process.cwd(), logFile) || logFile}`);
  }

  // A binary that does not load (wrong toolchain, missing symbol) is worse than none: check it now.
  try {
    const companion = createRequire(import.meta.url)(binary);
    if (typeof companion.interrupt !== 'function') throw new Error('unexpected exports');
  } catch (error) {
    rmSync(binary, { force: true });
    fallback(`the built binary does not load: ${error instanceof Error ? error.message : String(error)}`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  say(`native companion built in ${seconds.toFixed(1)} s (${path.relative(process.cwd(), binary) || binary}).`);
}

try {
  main();
} catch (error) {
  // A bug here must not fail the install either.
  fallback(`unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
}
