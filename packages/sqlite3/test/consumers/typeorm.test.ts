import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource, EntitySchema, QueryFailedError, type MigrationInterface, type QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, tempDir } from '../helpers.ts';

interface Author {
  id: number;
  name: string;
  email: string;
  books?: Book[];
}
interface Book {
  id: number;
  title: string;
  cover: Buffer | null;
  published: Date | null;
  author?: Author;
}

const AuthorSchema = new EntitySchema<Author>({
  name: 'Author',
  columns: {
    id: { type: Number, primary: true, generated: true },
    name: { type: String },
    email: { type: String, unique: true },
  },
  relations: { books: { type: 'one-to-many', target: 'Book', inverseSide: 'author', cascade: true } },
});

const BookSchema = new EntitySchema<Book>({
  name: 'Book',
  columns: {
    id: { type: Number, primary: true, generated: true },
    title: { type: String },
    cover: { type: 'blob', nullable: true },
    published: { type: 'datetime', nullable: true },
  },
  relations: { author: { type: 'many-to-one', target: 'Author', inverseSide: 'books', onDelete: 'CASCADE' } },
});

class AddReviews1700000000000 implements MigrationInterface {
  name = 'AddReviews1700000000000';
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE "review" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "stars" integer NOT NULL)');
    await queryRunner.query('INSERT INTO "review" ("stars") VALUES (?), (?)', [4, 5]);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "review"');
  }
}

describe.each(IMPLEMENTATIONS)('TypeORM 0.3 with type sqlite and driver: %s', (_name, sqlite3) => {
  const { dir, cleanup } = tempDir();
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = new DataSource({
      type: 'sqlite',
      database: join(dir, 'typeorm.db'),
      driver: sqlite3,
      entities: [AuthorSchema, BookSchema],
      migrations: [AddReviews1700000000000],
      synchronize: true,
      logging: false,
    });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    cleanup();
  });

  it('saves entities with a cascaded relation and loads them back with blobs and dates', async () => {
    const published = new Date('2020-01-02T03:04:05.000Z');
    const authors = dataSource.getRepository<Author>('Author');
    const saved = await authors.save({
      name: 'Ursula',
      email: 'ursula@example.com',
      books: [
        { title: 'The Dispossessed', cover: Buffer.from('cover'), published } as Book,
        { title: 'The Lathe of Heaven', cover: null, published: null } as Book,
      ],
    });
    expect(typeof saved.id).toBe('number');
    const loaded = await authors.findOne({ where: { id: saved.id }, relations: { books: true }, order: { books: { title: 'ASC' } } });
    expect(loaded?.books?.map((b) => b.title)).toEqual(['The Dispossessed', 'The Lathe of Heaven']);
    expect(loaded?.books?.[0]?.cover?.toString()).toBe('cover');
    expect(loaded?.books?.[0]?.published?.toISOString()).toBe(published.toISOString());
    const books = await dataSource.getRepository<Book>('Book').find({ relations: { author: true } });
    expect(books.every((b) => b.author?.email === 'ursula@example.com')).toBe(true);
  });

  it('commits a transaction and rolls back one that throws', async () => {
    await dataSource.transaction(async (manager) => {
      await manager.getRepository<Author>('Author').save({ name: 'Octavia', email: 'octavia@example.com' });
    });
    const failure = await dataSource
      .transaction(async (manager) => {
        await manager.getRepository<Author>('Author').save({ name: 'Temp', email: 'temp@example.com' });
        throw new Error('abort');
      })
      .catch((err: Error) => err.message);
    expect(failure).toBe('abort');
    const emails = (await dataSource.getRepository<Author>('Author').find({ order: { id: 'ASC' } })).map((a) => a.email);
    expect(emails).toEqual(['ursula@example.com', 'octavia@example.com']);
  });

  it('reports a unique violation as QueryFailedError carrying the driver’s SQLITE_CONSTRAINT', async () => {
    const error = await dataSource
      .getRepository<Author>('Author')
      .insert({ name: 'Copy', email: 'octavia@example.com' })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(QueryFailedError);
    expect((error as QueryFailedError & { driverError: { code: string; errno: number } }).driverError).toMatchObject({ code: 'SQLITE_CONSTRAINT', errno: 19 });
    expect((error as Error).message).toContain('UNIQUE constraint failed: author.email');
  });

  it('runs and reverts migrations', async () => {
    const applied = await dataSource.runMigrations();
    expect(applied.map((m) => m.name)).toEqual(['AddReviews1700000000000']);
    expect(await dataSource.query('SELECT sum(stars) AS total FROM review')).toEqual([{ total: 9 }]);
    expect(await dataSource.showMigrations()).toBe(false);
    await dataSource.undoLastMigration();
    expect(await dataSource.query("SELECT name FROM sqlite_master WHERE name = 'review'")).toEqual([]);
  });

  it('deletes through the query builder and cascades to the relation', async () => {
    const result = await dataSource.createQueryBuilder().delete().from('Author').where('email = :email', { email: 'ursula@example.com' }).execute();
    expect(result.affected).toBe(1);
    expect(await dataSource.getRepository<Book>('Book').count()).toBe(0);
  });
});
