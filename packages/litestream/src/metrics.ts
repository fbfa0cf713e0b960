/** A position in Litestream's WAL stream: a WAL index (it grows at each WAL reset) and a byte offset within it. */
export interface WalPosition {
  readonly index: number;
  readonly offset: number;
}

/** What Litestream's metrics say about one database. */
export interface LitestreamMetrics {
  /** Where Litestream's copy of the WAL (its shadow WAL) has reached: every commit up to there is captured. */
  readonly local: WalPosition | undefined;
  /** Where the replica has reached. */
  readonly replica: WalPosition | undefined;
  /** Syncs of the database into the shadow WAL so far, and how many failed. */
  readonly syncs: number;
  readonly syncErrors: number;
  /** Sizes of the database file and its WAL, in bytes. */
  readonly databaseBytes: number | undefined;
  readonly walBytes: number | undefined;
}

/** Reads Litestream's Prometheus text for the database at `path`. */
export function parseMetrics(text: string, path: string): LitestreamMetrics {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('litestream_')) continue;
    const match = /^(litestream_[a-z_]+)\{([^}]*)\}\s+(\S+)$/.exec(line);
    if (match === null) continue;
    const labels = new Map<string, string>();
    for (const pair of (match[2] as string).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels.set(pair[1] as string, JSON.parse(`"${pair[2] as string}"`) as string);
    if (labels.get('db') !== path) continue;
    const name = match[1] as string;
    const value = Number(match[3]);
    // Several replicas of one database: the one furthest behind is the one that matters.
    const previous = values.get(name);
    values.set(name, previous === undefined || !name.startsWith('litestream_replica_') ? value : Math.min(previous, value));
  }
  const position = (index: string, offset: string): WalPosition | undefined => {
    const i = values.get(index);
    const o = values.get(offset);
    return i === undefined || o === undefined ? undefined : Object.freeze({ index: i, offset: o });
  };
  return Object.freeze({
    local: position('litestream_shadow_wal_index', 'litestream_shadow_wal_size'),
    replica: position('litestream_replica_wal_index', 'litestream_replica_wal_offset'),
    syncs: values.get('litestream_sync_count') ?? 0,
    syncErrors: values.get('litestream_sync_error_count') ?? 0,
    databaseBytes: values.get('litestream_db_size'),
    walBytes: values.get('litestream_wal_size'),
  });
}

/** Whether `a` is at or past `b`. */
export function atOrPast(a: WalPosition | undefined, b: WalPosition | undefined): boolean {
  if (b === undefined) return true;
  if (a === undefined) return false;
  return a.index > b.index || (a.index === b.index && a.offset >= b.offset);
}
