import { Model, UniqueViolationError, NotNullViolationError, ForeignKeyViolationError, DBError } from 'objection';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HANDLE_KINDS, knexOn, type KnexContext } from './helpers.ts';

class Person extends Model {
  declare id: number;
  declare name: string;
  declare pets?: Pet[];
  static override tableName = 'persons';
  static override get relationMappings() {
    return {
      pets: { relation: Model.HasManyRelation, modelClass: Pet, join: { from: 'persons.id', to: 'pets.owner_id' } },
    };
  }
}

class Pet extends Model {
  declare id: number;
  declare name: string;
  declare owner_id: number;
  declare owner?: Person;
  static override tableName = 'pets';
  static override get relationMappings() {
    return {
      owner: { relation: Model.BelongsToOneRelation, modelClass: Person, join: { from: 'pets.owner_id', to: 'persons.id' } },
    };
  }
}

describe.each(HANDLE_KINDS)('Objection.js on rapsqlite (%s)', (kind) => {
  let ctx: KnexContext;
  beforeEach(async () => {
    ctx = await knexOn(kind, { nodeSqlite3Errors: true });
    await ctx.db.schema.createTable('persons', (t) => {
      t.increments('id');
      t.string('name').notNullable().unique();
    });
    await ctx.db.schema.createTable('pets', (t) => {
      t.increments('id');
      t.string('name');
      t.integer('owner_id').notNullable().references('persons.id');
    });
  });
  afterEach(async () => {
    await ctx.close();
  });

  it('inserts a graph, fetches relations both ways, and runs in transactions', async () => {
    const ada = await Person.query(ctx.db).insertGraph({ name: 'Ada', pets: [{ name: 'Rex' }, { name: 'Tom' }] } as never);
    expect(ada.id).toBe(1);
    const found = await Person.query(ctx.db).findById(1).withGraphFetched('pets(ordered)').modifiers({ ordered: (b) => b.orderBy('name') });
    expect(found?.pets?.map((p) => p.name)).toEqual(['Rex', 'Tom']);
    const pet = await Pet.query(ctx.db).findOne({ 'pets.name': 'Tom' }).withGraphJoined('owner');
    expect(pet?.owner?.name).toBe('Ada');
    expect(await Person.relatedQuery('pets', ctx.db).for(1).resultSize()).toBe(2);

    await expect(
      Model.transaction(ctx.db, async (trx) => {
        await Person.query(trx).insert({ name: 'Bob' });
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await Person.query(ctx.db).resultSize()).toBe(1);
  });

  it("turns a unique violation into Objection's UniqueViolationError (and NOT NULL, foreign keys likewise)", async () => {
    await Person.query(ctx.db).insert({ name: 'Ada' });
    const dup = await Person.query(ctx.db).insert({ name: 'Ada' }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(UniqueViolationError);
    expect(dup).toMatchObject({ table: 'persons', columns: ['name'], nativeError: { code: 'SQLITE_CONSTRAINT', extendedCode: 'SQLITE_CONSTRAINT_UNIQUE', errno: 19 } });
    await expect(Person.query(ctx.db).insert({ name: null } as never)).rejects.toBeInstanceOf(NotNullViolationError);
    await expect(Pet.query(ctx.db).insert({ name: 'stray', owner_id: 42 })).rejects.toBeInstanceOf(ForeignKeyViolationError);
  });

  it('without nodeSqlite3Errors, keeps the extended code and gives Objection a generic DBError', async () => {
    const plain = await knexOn(kind);
    try {
      await plain.db.schema.createTable('persons', (t) => {
        t.increments('id');
        t.string('name').unique();
      });
      await Person.query(plain.db).insert({ name: 'Ada' });
      const err = await Person.query(plain.db).insert({ name: 'Ada' }).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(UniqueViolationError);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(DBError);
      expect(err).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    } finally {
      await plain.close();
    }
  });
});
