// The example's schema. `npm run generate` (drizzle-kit, offline) wrote ./drizzle from it.
import { relations } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { int64 } from '@rapsqlite/drizzle';

export const authors = sqliteTable('authors', {
  id: int64('id').primaryKey(),
  name: text('name').notNull().unique(),
  joinedAt: integer('joined_at', { mode: 'timestamp_ms' }).notNull(),
});

export const books = sqliteTable('books', {
  id: integer('id').primaryKey(),
  authorId: int64('author_id')
    .notNull()
    .references(() => authors.id),
  title: text('title').notNull(),
  pages: integer('pages').notNull(),
});

export const authorsRelations = relations(authors, ({ many }) => ({ books: many(books) }));
export const booksRelations = relations(books, ({ one }) => ({ author: one(authors, { fields: [books.authorId], references: [authors.id] }) }));
