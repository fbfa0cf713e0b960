import { createClient, type Client, type Config } from '@libsql/client';
import { Database, INTEGER_MODES, type IntegerMode, type Middleware } from '@rapsqlite/engine';
import { invalidArgument, type HandleSettings } from '@rapsqlite/engine/plugin';
import { LibsqlConnection } from './libsql-connection.ts';
import { LibsqlProvider } from './libsql-provider.ts';

/** An embedded replica: a local file that the client syncs from the primary, where the handle's reads run. */
export interface LibsqlReplicaOptions {
  /** The replica's local file (created on first sync). Never open it with another SQLite library in the same process. */
  readonly path: string;
  /** Sync in the background every this many seconds (the client's `syncInterval`). Default: only when reads need it. */
  readonly syncIntervalSeconds?: number;
  /** Encrypts the local replica file (the client's `encryptionKey`). */
  readonly encryptionKey?: string;
}

/** Options of {@link openLibsql}. */
export interface LibsqlOptions {
  /** `libsql://`, `https://`, `http://`, `wss://`, `ws://` (a `sqld` server or Turso) or `file:` (a local file). */
  readonly url?: string;
  /** The token for Turso or `sqld` with authentication. */
  readonly authToken?: string;
  /** TLS for `libsql://` URLs (default true, as the client does). */
  readonly tls?: boolean;
  /** Reads outside transactions run on an embedded replica; writes and transactions on the primary at `url`. */
  readonly replica?: LibsqlReplicaOptions;
  /**
   * With a replica: a read outside a transaction first syncs the replica when the handle has committed since the
   * last sync, so it sees its own writes. Default true. Without a replica reads always see committed writes.
   */
  readonly readYourWrites?: boolean;
  /** How integers come back, as for a local database. Default `'number'`. */
  readonly integers?: IntegerMode;
  /** The default deadline of a call, in milliseconds. */
  readonly timeoutMs?: number;
  /** For `file:` URLs: how long a statement waits for another connection's lock (the client's `timeout`). Default 5000. */
  readonly busyTimeoutMs?: number;
  /** Concurrent requests of a remote client (the client's `concurrency`). */
  readonly concurrency?: number;
  /** Middleware of the handle, outermost first. */
  readonly middleware?: readonly Middleware[];
  /**
   * Makes the clients (the primary's, and the replica's when there is one) instead of `@libsql/client`'s
   * `createClient`: for a custom `fetch`, or tests.
   */
  readonly createClient?: (config: Config) => Client;
}

const SCHEMES = /^(libsql|https?|wss?|file):/i;
const KNOWN = new Set(['url', 'authToken', 'tls', 'replica', 'readYourWrites', 'integers', 'timeoutMs', 'busyTimeoutMs', 'concurrency', 'middleware', 'createClient']);

/** What every handle made from one {@link openLibsql} shares. */
interface LibsqlState {
  readonly provider: LibsqlProvider;
  readonly settings: HandleSettings;
  readonly replica: Client | undefined;
}

/** A snapshot of a libSQL handle's lanes, for health checks. */
export interface LibsqlStats {
  /** Calls running on the primary's lane and on the read lane. */
  readonly writerPending: number;
  readonly readerPending: number;
  /** Calls and transactions waiting for a lane. */
  readonly waiting: number;
  /** Reads run on an embedded replica. */
  readonly replica: boolean;
  /** Syncs of the replica made for read-your-writes. */
  readonly syncs: number;
}

/**
 * A handle on a libSQL database (Turso, `sqld`, or a local file through `@libsql/client`): the same query API,
 * transactions, middleware chain and coded errors as a local rapsqlite `Database`. Made by {@link openLibsql}.
 */
export class LibsqlDatabase extends Database {
  readonly #state: LibsqlState;

  /** @internal Use {@link openLibsql}. */
  constructor(state: LibsqlState, middleware: readonly Middleware[]) {
    super({ provider: state.provider, settings: state.settings }, middleware);
    this.#state = state;
  }

  /** @internal */
  protected override derive(middleware: readonly Middleware[]): LibsqlDatabase {
    return new LibsqlDatabase(this.#state, middleware);
  }

  override get readonly(): boolean {
    return false;
  }

  /** Pulls the primary's changes into the embedded replica now; false without a replica. */
  async sync(): Promise<boolean> {
    if (this.#state.replica === undefined) return false;
    await this.#state.replica.sync();
    return true;
  }

  stats(): LibsqlStats {
    const provider = this.#state.provider;
    return Object.freeze({
      writerPending: provider.primary.pending,
      readerPending: provider.reader === provider.primary ? 0 : provider.reader.pending,
      waiting: provider.waiting,
      replica: this.#state.replica !== undefined,
      syncs: provider.syncs,
    });
  }
}

/**
 * Opens a libSQL database through `@libsql/client`: a `libsql://`, `http(s)://` or `ws(s)://` URL for Turso and
 * `sqld`, or `file:` for a local file. With `replica`, reads outside transactions run on an embedded replica file
 * that the client syncs from the primary, and writes go to the primary.
 *
 * @example
 * ```ts
 * import { openLibsql } from '@rapsqlite/libsql';
 *
 * await using db = await openLibsql('libsql://my-db.turso.io', {
 *   authToken: process.env.TURSO_TOKEN,
 *   replica: { path: '/var/lib/app/replica.db', syncIntervalSeconds: 60 },
 * });
 * await db.run('INSERT INTO visits (at) VALUES (?)', [Date.now()]);   // the primary
 * await db.get('SELECT count(*) AS n FROM visits');                   // the replica, synced first
 * ```
 */
export async function openLibsql(target: string | LibsqlOptions, options: LibsqlOptions = {}): Promise<LibsqlDatabase> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('openLibsql() options must be an object');
  const merged = Object.freeze({ ...(typeof target === 'string' ? { url: target } : target), ...options }) as LibsqlOptions;
  for (const key of Object.keys(merged)) if (!KNOWN.has(key)) throw invalidArgument(`Unknown libSQL option "${key}"`);
  const url = merged.url;
  if (typeof url !== 'string' || !SCHEMES.test(url)) throw invalidArgument('A libSQL URL starts with libsql:, https:, http:, wss:, ws: or file:');
  if (/^file::memory:|^:memory:/i.test(url) || /mode=memory/.test(url)) {
    throw invalidArgument('An in-memory libSQL database is private to each of the client\'s connections: use a file: URL');
  }
  const integers = merged.integers ?? 'number';
  if (!INTEGER_MODES.includes(integers)) throw invalidArgument(`integers must be one of ${INTEGER_MODES.join(', ')}`);
  if (merged.timeoutMs !== undefined && !(typeof merged.timeoutMs === 'number' && merged.timeoutMs > 0)) throw invalidArgument('timeoutMs must be a positive number');
  const replica = merged.replica;
  if (replica !== undefined && (typeof replica !== 'object' || replica === null || typeof replica.path !== 'string' || replica.path === '')) {
    throw invalidArgument('replica needs the path of its local file');
  }
  if (replica !== undefined && /^file:/i.test(url)) throw invalidArgument('An embedded replica syncs from a remote primary: its url is libsql:, https: or wss:');
  const make = merged.createClient ?? createClient;
  if (typeof make !== 'function') throw invalidArgument('createClient must be a function');
  const base: Config = {
    url,
    intMode: 'bigint',
    ...(merged.authToken === undefined ? {} : { authToken: merged.authToken }),
    ...(merged.tls === undefined ? {} : { tls: merged.tls }),
    ...(merged.concurrency === undefined ? {} : { concurrency: merged.concurrency }),
    ...(/^file:/i.test(url) ? { timeout: merged.busyTimeoutMs ?? 5000 } : {}),
  };
  const primaryClient = make(base);
  const local = /^file:/i.test(url);
  const writer = new LibsqlConnection(primaryClient, 'writer', url, { ordered: true, ownsClient: true, local });
  let replicaClient: Client | undefined;
  let reader: LibsqlConnection;
  if (replica !== undefined) {
    replicaClient = make({
      url: `file:${replica.path}`,
      syncUrl: url,
      intMode: 'bigint',
      ...(merged.authToken === undefined ? {} : { authToken: merged.authToken }),
      ...(replica.syncIntervalSeconds === undefined ? {} : { syncInterval: replica.syncIntervalSeconds }),
      ...(replica.encryptionKey === undefined ? {} : { encryptionKey: replica.encryptionKey }),
    });
    reader = new LibsqlConnection(replicaClient, 'reader', `file:${replica.path}`, { ordered: false, ownsClient: true, local: true });
  } else {
    reader = new LibsqlConnection(primaryClient, 'reader', url, { ordered: false, ownsClient: false, local });
  }
  const provider = new LibsqlProvider(url, writer, reader, replicaClient, merged.readYourWrites ?? true);
  try {
    // Fails now for a wrong URL, token or file, rather than at the first call.
    await writer.execute({ kind: 'get', sql: 'SELECT 1' });
    if (replicaClient !== undefined) await replicaClient.sync();
  } catch (err) {
    await provider.close();
    throw err;
  }
  const settings: HandleSettings = Object.freeze({ integers, timeoutMs: merged.timeoutMs, statementTiming: false, readonly: false });
  return new LibsqlDatabase(Object.freeze({ provider, settings, replica: replicaClient }), merged.middleware ?? []);
}
