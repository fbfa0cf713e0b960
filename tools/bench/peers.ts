import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DriverUnavailable } from './drivers/driver.ts';

/**
 * The peer drivers and the versions benchmarked. They are not dependencies of the project (node-sqlite3 compiles
 * from source where no prebuilt binary can be fetched, which would slow every `npm ci`): the benchmark installs them
 * into `tools/bench/.peers/` on first use. Optional dependencies, so one failing install leaves the other usable.
 */
export const PEER_PACKAGES: Readonly<Record<string, string>> = {
  sqlite3: '6.0.1',
  '@libsql/client': '^0.18.0',
};

/** Where the peers are installed (git-ignored). */
export const PEERS_DIR = fileURLToPath(new URL('./.peers/', import.meta.url));

const MANIFEST = join(PEERS_DIR, 'package.json');
const LOG = join(PEERS_DIR, 'install.log');

function desiredManifest(): string {
  const manifest = {
    name: 'rapsqlite-bench-peers',
    private: true,
    description: 'Peer drivers for tools/bench, installed by the benchmark itself. Not part of the project.',
    optionalDependencies: PEER_PACKAGES,
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** The outcome of {@link Peers.install}. */
export interface InstallOutcome {
  readonly ok: boolean;
  readonly seconds: number;
  readonly message: string;
}

/** Installs (once) and loads the peer drivers. */
export class Peers {
  readonly #allowInstall: boolean;
  readonly #log: (line: string) => void;
  #installation: Promise<InstallOutcome> | undefined;

  constructor(options: { readonly allowInstall: boolean; readonly log: (line: string) => void }) {
    this.#allowInstall = options.allowInstall;
    this.#log = options.log;
  }

  /** True when the manifest matches the wanted versions and every peer has a package folder. */
  async isCurrent(): Promise<boolean> {
    try {
      if ((await readFile(MANIFEST, 'utf8')) !== desiredManifest()) return false;
      for (const name of Object.keys(PEER_PACKAGES)) await readFile(join(PEERS_DIR, 'node_modules', name, 'package.json'));
      return true;
    } catch {
      return false;
    }
  }

  /** Runs `npm install` in `.peers/`, at most once per process. */
  install(): Promise<InstallOutcome> {
    this.#installation ??= this.#runInstall();
    return this.#installation;
  }

  /** Loads a peer package, installing the peers first when they are missing and installing is allowed. */
  async require(name: string): Promise<unknown> {
    if (!(await this.isCurrent())) {
      if (!this.#allowInstall) {
        throw new DriverUnavailable(`${name} is not installed in tools/bench/.peers (run \`node tools/bench/main.ts --install-peers\`)`);
      }
      const outcome = await this.install();
      if (!outcome.ok) this.#log(`peer install: ${outcome.message}`);
    }
    try {
      return createRequire(MANIFEST)(name);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new DriverUnavailable(`${name} could not be loaded from tools/bench/.peers (see ${LOG}): ${reason}`, { cause: error });
    }
  }

  /** The installed version of a package under `.peers/`. */
  async version(name: string): Promise<string> {
    const path = join(PEERS_DIR, 'node_modules', name, 'package.json');
    return (JSON.parse(await readFile(path, 'utf8')) as { version: string }).version;
  }

  async #runInstall(): Promise<InstallOutcome> {
    await mkdir(PEERS_DIR, { recursive: true });
    await writeFile(MANIFEST, desiredManifest());
    const args = ['install', '--prefix', PEERS_DIR, '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=warn'];
    // Inside `npm run`, npm_execpath is the npm that started us; run it with this Node so node-gyp sees Node 24.
    const npmCli = process.env['npm_execpath'];
    const command = npmCli !== undefined && npmCli.endsWith('.js') ? process.execPath : 'npm';
    const commandArgs = command === process.execPath && npmCli !== undefined ? [npmCli, ...args] : args;
    this.#log(
      `installing peer drivers into tools/bench/.peers (${Object.entries(PEER_PACKAGES)
        .map(([n, v]) => `${n}@${v}`)
        .join(', ')}); sqlite3 may compile from source, which takes about two minutes…`,
    );
    const started = performance.now();
    const log = createWriteStream(LOG);
    const code = await new Promise<number>((resolve) => {
      const child = spawn(command, commandArgs, {
        cwd: PEERS_DIR,
        env: installEnvironment(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.pipe(log, { end: false });
      child.stderr.pipe(log, { end: false });
      child.on('error', (error) => {
        log.write(`\n${String(error)}\n`);
        resolve(-1);
      });
      child.on('close', (exitCode) => resolve(exitCode ?? -1));
    });
    await new Promise<void>((resolve) => log.end(resolve));
    const seconds = (performance.now() - started) / 1000;
    const ok = code === 0;
    const message = ok ? `installed in ${seconds.toFixed(0)} s` : `npm install exited with ${code} after ${seconds.toFixed(0)} s (log: ${LOG})`;
    this.#log(`peer drivers ${message}`);
    return { ok, seconds, message };
  }
}

/** The environment for the nested npm: ours minus what `npm run` exported about the root project. */
function installEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_package_') || lower.startsWith('npm_lifecycle_') || lower === 'npm_command') continue;
    if (['npm_config_prefix', 'npm_config_local_prefix', 'npm_config_global_prefix', 'npm_config_call'].includes(lower)) continue;
    if (lower.startsWith('npm_config_workspace')) continue;
    env[key] = value;
  }
  env['PATH'] = `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}`;
  return env;
}
