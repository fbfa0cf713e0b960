/**
 * dqlite's wire protocol, version 1: every message is an 8-byte header (body length in 8-byte words, type, schema)
 * and a body of little-endian words. The numbers below are the protocol's own.
 */

/** The word a client sends first. */
export const PROTOCOL_VERSION = 1n;

/** Request types. */
export const RequestType = {
  leader: 0,
  client: 1,
  open: 3,
  prepare: 4,
  exec: 5,
  query: 6,
  finalize: 7,
  execSql: 8,
  querySql: 9,
  interrupt: 10,
  cluster: 16,
  transfer: 17,
} as const;

/** Response types. */
export const ResponseType = {
  failure: 0,
  server: 1,
  welcome: 2,
  servers: 3,
  db: 4,
  stmt: 5,
  result: 6,
  rows: 7,
  empty: 8,
} as const;

/** The type codes of values in parameter tuples and rows. */
export const ValueType = {
  integer: 1,
  float: 2,
  text: 3,
  blob: 4,
  null: 5,
  unixTime: 9,
  iso8601: 10,
  boolean: 11,
} as const;

/** The first byte of the word that ends a batch of rows when more batches follow. */
export const ROWS_PART = 0xee;
/** The first byte of the word that ends the last batch of rows. */
export const ROWS_DONE = 0xff;

/** The most parameters the original tuple format (schema 0) can carry; beyond it, schema 1 counts in 32 bits. */
export const MAX_PARAMS_V0 = 255;

/** Node roles, by their number on the wire. */
export const NODE_ROLES = ['voter', 'standby', 'spare'] as const;

/** A node's role in the cluster: a voter takes part in elections and quorums; standbys and spares do not vote. */
export type DqliteNodeRole = (typeof NODE_ROLES)[number];

/** SQLite's extended codes that dqlite uses to say a request reached a node that is not (or no longer) the leader. */
export const NOT_LEADER_CODE = 10250; // SQLITE_IOERR_NOT_LEADER: refused before running
export const LEADERSHIP_LOST_CODE = 10506; // SQLITE_IOERR_LEADERSHIP_LOST: ran, but may not have been replicated
