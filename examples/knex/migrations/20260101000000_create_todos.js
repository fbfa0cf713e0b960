export async function up(knex) {
  await knex.schema.createTable('todos', (t) => {
    t.increments('id');
    t.string('title').notNullable().unique();
    t.boolean('done').notNullable().defaultTo(false);
    t.timestamp('due');
  });
}

export async function down(knex) {
  await knex.schema.dropTable('todos');
}
