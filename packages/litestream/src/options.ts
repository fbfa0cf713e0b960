import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { RapsqliteError } from '@rapsqlite/engine';
import { invalidArgument } from '@rapsqlite/engine/plugin';
import { LitestreamErrorCodes } from './errors.ts';

/** A replica in a folder (local disk, a mounted volume). */
export interface FileReplica {
  readonly type: 'file';
  readonly path: string;
}

/** A replica in an S3-compatible bucket (AWS S3, MinIO, R2, B2, Tigris…). */
export interface S3Replica {
  readonly type: 's3';
  readonly bucket: string;
  /** The key prefix inside the bucket. */
  readonly path: string;
  readonly region?: string;
  /** For S3-compatible services: their endpoint URL. */
  readonly endpoint?: string;
  /** Defaults to the environment's AWS credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`). */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** Path-style URLs, which most S3-compatible services want. */
  readonly forcePathStyle?: boolean;
  /** Skip TLS verification (self-signed endpoints in test setups). */
  readonly skipVerify?: boolean;
}

/** Where Litestream keeps the copy. */
export type LitestreamReplica = FileReplica | S3Replica;

/** Settings shared by replication and restore. */
export interface LitestreamCommonOptions {
  /** The replica to write to (replication) or read from (restore). */
  readonly replica: LitestreamReplica;
  /** The `litestream` executable. Default: the one shipped in `@flydotio/litestream` for this platform. */
  readonly binary?: string;
}

/** Options of {@link replicate}. */
export interface LitestreamOptions extends LitestreamCommonOptions {
  /** How often Litestream looks for new WAL frames in the database. Default 1000. */
  readonly monitorIntervalMs?: number;
  /** How often new WAL frames are shipped to the replica (the replication lag, at most). Default 1000. */
  readonly syncIntervalMs?: number;
  /** How often a full snapshot is taken. Default Litestream's (24 h). */
  readonly snapshotIntervalMs?: number;
  /** How long snapshots and WAL segments are kept (the point-in-time window). Default Litestream's (24 h). */
  readonly retentionMs?: number;
  /** How often lag is read and the `lag` event sent. Default 1000; 0 turns polling off (`lag()` still works). */
  readonly lagIntervalMs?: number;
  /** Start Litestream again when it exits unexpectedly (after 0.5 s, growing to 10 s). Default true. */
  readonly restart?: boolean;
}

/** Options of {@link restore}. */
export interface RestoreOptions extends LitestreamCommonOptions {
  /** Restore the database as it was at this time (the last replicated state at or before it). Default: the latest. */
  readonly timestamp?: Date;
}

/** A duration in milliseconds as Litestream writes them. */
export function duration(name: string, ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) throw invalidArgument(`${name} must be a positive number of milliseconds`);
  return `${Math.round(ms)}ms`;
}

/** Checks a replica's description. */
export function checkReplica(replica: unknown): LitestreamReplica {
  if (typeof replica !== 'object' || replica === null) throw invalidArgument('replica must be { type: "file", path } or { type: "s3", bucket, path, … }');
  const r = replica as Record<string, unknown>;
  if (r['type'] === 'file') {
    if (typeof r['path'] !== 'string' || r['path'] === '') throw invalidArgument('A file replica needs a path');
    return Object.freeze({ type: 'file', path: resolve(r['path']) });
  }
  if (r['type'] === 's3') {
    if (typeof r['bucket'] !== 'string' || r['bucket'] === '') throw invalidArgument('An S3 replica needs a bucket');
    if (typeof r['path'] !== 'string') throw invalidArgument('An S3 replica needs a path (key prefix)');
    for (const key of ['region', 'endpoint', 'accessKeyId', 'secretAccessKey']) {
      if (r[key] !== undefined && typeof r[key] !== 'string') throw invalidArgument(`replica.${key} must be a string`);
    }
    return Object.freeze({ ...(r as unknown as S3Replica) });
  }
  throw invalidArgument('replica.type must be "file" or "s3"');
}

/** YAML for one replica (values quoted as JSON strings, which YAML reads as strings). */
export function replicaYaml(replica: LitestreamReplica, indent: string, extra: Record<string, string>): string {
  const fields: Record<string, string | boolean | undefined> =
    replica.type === 'file'
      ? { type: 'file', path: replica.path }
      : {
          type: 's3',
          bucket: replica.bucket,
          path: replica.path,
          region: replica.region,
          endpoint: replica.endpoint,
          'access-key-id': replica.accessKeyId,
          'secret-access-key': replica.secretAccessKey,
          'force-path-style': replica.forcePathStyle,
          'skip-verify': replica.skipVerify,
        };
  const lines = Object.entries({ ...fields, ...extra })
    .filter(([, value]) => value !== undefined)
    .map(([key, value], i) => `${indent}${i === 0 ? '- ' : '  '}${key}: ${typeof value === 'boolean' ? String(value) : JSON.stringify(value)}`);
  return `${lines.join('\n')}\n`;
}

/** The `litestream` executable to run. */
export function findBinary(binary: string | undefined): string {
  if (binary !== undefined) {
    if (typeof binary !== 'string' || !isAbsolute(binary)) throw invalidArgument('binary must be an absolute path');
    if (!existsSync(binary)) throw new RapsqliteError(LitestreamErrorCodes.BINARY_MISSING, `No litestream executable at ${binary}`);
    return binary;
  }
  const require = createRequire(import.meta.url);
  const platformPackage = `@flydotio/litestream-${process.platform}-${process.arch}`;
  const candidates: string[] = [];
  for (const lookup of [`${platformPackage}/package.json`, '@flydotio/litestream/package.json']) {
    try {
      const dir = dirname(require.resolve(lookup));
      candidates.push(lookup.startsWith(platformPackage) ? join(dir, 'litestream') : join(dir, '..', `litestream-${process.platform}-${process.arch}`, 'litestream'));
    } catch {
      // Not installed here; try the next place.
    }
  }
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new RapsqliteError(
      LitestreamErrorCodes.BINARY_MISSING,
      `The litestream executable was not found: install @flydotio/litestream (it ships ${platformPackage}) or pass { binary }`,
    );
  }
  return found;
}
