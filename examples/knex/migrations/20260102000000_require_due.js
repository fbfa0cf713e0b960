// knex emulates this ALTER on SQLite (copy the table with foreign keys off, then rename): it needs one connection.
export async function up(knex) {
  await knex('todos').whereNull('due').update({ due: new Date('2026-12-31') });
  await knex.schema.alterTable('todos', (t) => {
    t.timestamp('due').notNullable().alter();
  });
}

export async function down(knex) {
  await knex.schema.alterTable('todos', (t) => {
    t.timestamp('due').nullable().alter();
  });
}
