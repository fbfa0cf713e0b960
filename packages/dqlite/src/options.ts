import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { INTEGER_MODES, type IntegerMode, type Middleware } from '@rapsqlite/engine';
import { invalidArgument } from '@rapsqlite/engine/plugin';
import { splitAddress } from './protocol/wire-socket.ts';

/** Options of {@link openDqlite}. Explicit options win over the same settings in the URL's query string. */
export interface DqliteOptions {
  /** The cluster's nodes as `host:port` (their database addresses); any one that answers is enough to find the leader. */
  readonly nodes?: readonly string[];
  /** The database's name in the cluster (the URL's path). dqlite creates it on first use. */
  readonly database?: string;
  /** Connections for reads outside write transactions, besides the writer. Default 2; 0 sends everything through the writer. */
  readonly readers?: number;
  /** Requests one connection may have in flight before the next waits in the client. Default 64. */
  readonly pipelining?: number;
  /** How long calls wait for a leader after it is lost (or at open) before they fail with `ERR_RAPSQLITE_DQLITE_NO_LEADER`. Default 10 000. */
  readonly leaderTimeoutMs?: number;
  /** How long connecting to one node may take before the next is tried. Default 2 000. */
  readonly connectTimeoutMs?: number;
  /** TLS to every node: `true` with Node's defaults (system CAs), or `tls.connect()` options (`ca`, `cert`, `key`, `servername`, …). */
  readonly tls?: boolean | TlsConnectionOptions;
  /**
   * Where to dial a node, by the address the cluster knows it by: for clusters whose nodes advertise addresses the
   * client cannot reach directly (containers, NAT, a TLS proxy).
   */
  readonly addressMap?: Readonly<Record<string, string>>;
  /** How integers come back, as for a local database. Default `'number'`. */
  readonly integers?: IntegerMode;
  /** The default deadline of a call, in milliseconds. */
  readonly timeoutMs?: number;
  /** `PRAGMA foreign_keys = ON` on every connection, as a local rapsqlite database does. Default true. */
  readonly foreignKeys?: boolean;
  /** More statements to run on every new connection to a leader (`PRAGMA recursive_triggers = ON`, …). */
  readonly pragmas?: readonly string[];
  /**
   * Return dqlite's typed values: BOOLEAN columns as booleans and DATETIME/DATE/TIMESTAMP columns as `Date`s. Default
   * false: the values SQLite stores (0/1, text, unix seconds), as a local database returns them.
   */
  readonly typedValues?: boolean;
  /** A read outside a transaction first waits for the writes sent before it. Default false. */
  readonly readYourWrites?: boolean;
  /** Middleware of the handle, outermost first. */
  readonly middleware?: readonly Middleware[];
}

/** The options with their defaults, frozen. */
export interface ResolvedDqliteOptions {
  readonly url: string;
  readonly nodes: readonly string[];
  readonly database: string;
  readonly readers: number;
  readonly pipelining: number;
  readonly leaderTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly tls: TlsConnectionOptions | undefined;
  readonly addressMap: Readonly<Record<string, string>>;
  readonly integers: IntegerMode;
  readonly timeoutMs: number | undefined;
  readonly foreignKeys: boolean;
  readonly pragmas: readonly string[];
  readonly typedValues: boolean;
  readonly readYourWrites: boolean;
  readonly middleware: readonly Middleware[];
}

const KNOWN = new Set([
  'nodes',
  'database',
  'readers',
  'pipelining',
  'leaderTimeoutMs',
  'connectTimeoutMs',
  'tls',
  'addressMap',
  'integers',
  'timeoutMs',
  'foreignKeys',
  'pragmas',
  'typedValues',
  'readYourWrites',
  'middleware',
]);

/** Settings a URL's query string may carry, with how to read them. */
const URL_SETTINGS: Readonly<Record<string, 'number' | 'boolean' | 'string'>> = {
  readers: 'number',
  pipelining: 'number',
  leaderTimeoutMs: 'number',
  connectTimeoutMs: 'number',
  tls: 'boolean',
  integers: 'string',
  timeoutMs: 'number',
  foreignKeys: 'boolean',
  typedValues: 'boolean',
  readYourWrites: 'boolean',
};

/**
 * Reads `dqlite://host:port[,host:port…]/database[?setting=value&…]`. The settings are those of {@link DqliteOptions}
 * that fit in a URL: `readers`, `pipelining`, `leaderTimeoutMs`, `connectTimeoutMs`, `tls`, `integers`, `timeoutMs`,
 * `foreignKeys`, `typedValues`, `readYourWrites`.
 *
 * @example parseDqliteUrl('dqlite://10.0.0.1:9001,10.0.0.2:9001/app?readers=4')
 */
export function parseDqliteUrl(url: string): DqliteOptions {
  if (typeof url !== 'string') throw invalidArgument('A dqlite URL is a string');
  const match = /^dqlite:\/\/([^/?#]+)\/([^?#]+)(?:\?([^#]*))?$/.exec(url);
  if (match === null) throw invalidArgument('A dqlite URL reads dqlite://host:port[,host:port…]/database[?setting=value…]');
  const nodes = (match[1] as string).split(',').map((node) => node.trim());
  const options: Record<string, unknown> = { nodes, database: decodeURIComponent(match[2] as string) };
  for (const [key, raw] of new URLSearchParams(match[3] ?? '')) {
    const kind = URL_SETTINGS[key];
    if (kind === undefined) throw invalidArgument(`Unknown setting "${key}" in the dqlite URL`);
    if (kind === 'number') {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) throw invalidArgument(`The URL setting ${key} must be a number`);
      options[key] = value;
    } else if (kind === 'boolean') {
      if (!['true', 'false', '1', '0'].includes(raw)) throw invalidArgument(`The URL setting ${key} must be true or false`);
      options[key] = raw === 'true' || raw === '1';
    } else options[key] = raw;
  }
  return options as DqliteOptions;
}

function integerOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgument(`${name} must be a boolean`);
  return value;
}

/** Merges a URL's settings and explicit options, checks them and fills in the defaults. */
export function resolveDqliteOptions(target: string | DqliteOptions, explicit: DqliteOptions = {}): ResolvedDqliteOptions {
  if (typeof explicit !== 'object' || explicit === null) throw invalidArgument('openDqlite() options must be an object');
  const fromUrl = typeof target === 'string' ? parseDqliteUrl(target) : target;
  if (typeof fromUrl !== 'object' || fromUrl === null) throw invalidArgument('openDqlite() takes a dqlite:// URL or an options object');
  const options = { ...fromUrl, ...explicit } as Record<string, unknown>;
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw invalidArgument(`Unknown dqlite option "${key}"`);
  const nodes = options['nodes'];
  if (!Array.isArray(nodes) || nodes.length === 0) throw invalidArgument('Name at least one dqlite node (host:port)');
  for (const node of nodes) {
    try {
      splitAddress(node as string);
    } catch {
      throw invalidArgument(`The dqlite node "${String(node)}" is not host:port`);
    }
  }
  const database = options['database'];
  if (typeof database !== 'string' || database === '' || database.includes('\u0000')) throw invalidArgument('Name the database (the URL path, or the database option)');
  const integers = options['integers'] ?? 'number';
  if (!INTEGER_MODES.includes(integers as IntegerMode)) throw invalidArgument(`integers must be one of ${INTEGER_MODES.join(', ')}`);
  const timeoutMs = options['timeoutMs'];
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) throw invalidArgument('timeoutMs must be a positive number');
  const tls = options['tls'];
  if (tls !== undefined && typeof tls !== 'boolean' && (typeof tls !== 'object' || tls === null)) throw invalidArgument('tls must be a boolean or tls.connect() options');
  const addressMap = options['addressMap'] ?? {};
  if (typeof addressMap !== 'object' || addressMap === null) throw invalidArgument('addressMap must map cluster addresses to host:port');
  for (const [from, to] of Object.entries(addressMap)) {
    try {
      splitAddress(to as string);
    } catch {
      throw invalidArgument(`addressMap["${from}"] is not host:port`);
    }
  }
  const pragmas = options['pragmas'] ?? [];
  if (!Array.isArray(pragmas) || pragmas.some((p) => typeof p !== 'string')) throw invalidArgument('pragmas must be an array of SQL strings');
  const middleware = options['middleware'] ?? [];
  if (!Array.isArray(middleware)) throw invalidArgument('middleware must be an array');
  const list = (nodes as string[]).map((node) => node.trim());
  return Object.freeze({
    url: `dqlite://${list.join(',')}/${encodeURIComponent(database)}`,
    nodes: Object.freeze(list),
    database,
    readers: integerOption('readers', options['readers'], 2, 0, 64),
    pipelining: integerOption('pipelining', options['pipelining'], 64, 1, 4096),
    leaderTimeoutMs: integerOption('leaderTimeoutMs', options['leaderTimeoutMs'], 10_000, 1, 3_600_000),
    connectTimeoutMs: integerOption('connectTimeoutMs', options['connectTimeoutMs'], 2_000, 1, 600_000),
    tls: tls === true ? Object.freeze({}) : tls === false || tls === undefined ? undefined : Object.freeze({ ...(tls as TlsConnectionOptions) }),
    addressMap: Object.freeze({ ...(addressMap as Record<string, string>) }),
    integers: integers as IntegerMode,
    timeoutMs: timeoutMs as number | undefined,
    foreignKeys: booleanOption('foreignKeys', options['foreignKeys'], true),
    pragmas: Object.freeze([...(pragmas as string[])]),
    typedValues: booleanOption('typedValues', options['typedValues'], false),
    readYourWrites: booleanOption('readYourWrites', options['readYourWrites'], false),
    middleware: Object.freeze([...(middleware as Middleware[])]),
  });
}
