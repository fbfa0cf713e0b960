import { describe, expect, it } from 'vitest';
import { databaseImage, openImage, serializeDatabase, type BufferDriverConstructor } from '../../../src/worker/tools/serialize.ts';
import { digest, Driver, fill, openRaw, tempFile, type RawDb } from '../driver-helpers.ts';

const BufferDriver = Driver as unknown as BufferDriverConstructor<RawDb>;

function caught(fn: () => unknown): { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a throw');
}

describe('serialize and open from bytes (worker tools over better-sqlite3)', () => {
  it('serializes a WAL database into transferable bytes that open again, writable and read-only', () => {
    const source = openRaw(tempFile());
    fill(source, 500);
    source.exec("CREATE TABLE big (n INTEGER); INSERT INTO big VALUES (9007199254740993)");
    const bytes = serializeDatabase(source);
    expect(bytes.byteLength).toBe(Number(source.pragma('page_count', { simple: true })) * 4096);
    // A plain ArrayBuffer of exactly the image's size: the worker can hand it over without copying it again.
    const channel = new MessageChannel();
    channel.port1.postMessage(bytes, [bytes.buffer]);
    channel.port1.close();
    expect(bytes.byteLength).toBe(0);

    const again = serializeDatabase(source);
    const writable = openImage(BufferDriver, again);
    expect(digest(writable)).toBe(digest(source));
    writable.exec("INSERT INTO items (label) VALUES ('only in memory')");
    expect(writable.prepare('SELECT count(*) FROM items').pluck().get()).toBe(501);
    expect(source.prepare('SELECT count(*) FROM items').pluck().get()).toBe(500);
    writable.close();

    const readonly = openImage(BufferDriver, again, { readonly: true });
    expect(caught(() => readonly.exec('DELETE FROM items')).code).toBe('SQLITE_READONLY');
    readonly.prepare('SELECT 1').get();
    readonly.close();
    // The caller's bytes are never patched: the image keeps its WAL flags.
    expect([again[18], again[19]]).toEqual([2, 2]);
  });

  it('serializes an attached schema alone', () => {
    const source = openRaw(':memory:');
    source.prepare('ATTACH DATABASE ? AS side').run(tempFile('side.db'));
    source.exec("CREATE TABLE side.notes (t TEXT); INSERT INTO side.notes VALUES ('attached')");
    const copy = openImage(BufferDriver, serializeDatabase(source, 'side'));
    expect(copy.prepare('SELECT t FROM notes').pluck().get()).toBe('attached');
    copy.close();
    expect(caught(() => serializeDatabase(source, 'nope')).code).toBe('ERR_RAPSQLITE_SCHEMA_NOT_FOUND');
  });

  it('refuses bytes that are not a database image, with a coded error', () => {
    expect(caught(() => openImage(BufferDriver, Buffer.from('hello, this is not a database'.repeat(10)))).code).toBe('ERR_RAPSQLITE_DESERIALIZE');
    expect(caught(() => databaseImage('text' as unknown as Uint8Array)).code).toBe('ERR_RAPSQLITE_INVALID_ARGUMENT');
    const source = openRaw(':memory:');
    source.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    const bytes = serializeDatabase(source);
    // A valid header over damaged pages: SQLite's own code, at open, not at the first query.
    bytes.fill(0xff, 100, 4096);
    expect(caught(() => openImage(BufferDriver, bytes)).code).toMatch(/^SQLITE_(CORRUPT|NOTADB)/);
  });

  it('opens zero bytes as an empty, writable database', () => {
    const db = openImage(BufferDriver, new Uint8Array(0));
    db.exec('CREATE TABLE t (x)');
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 't'").pluck().get()).toBe(1);
    db.close();
  });
});
