import { join } from 'node:path';
import { DataTypes, Op, Sequelize, UniqueConstraintError, type Model, type ModelStatic } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPLEMENTATIONS, tempDir } from '../helpers.ts';

interface UserAttributes {
  id?: number;
  email: string;
  name: string;
  avatar?: Buffer | null;
  bornAt?: Date | null;
}
type UserModel = Model<UserAttributes> & UserAttributes & { posts?: PostModel[] };
interface PostAttributes {
  id?: number;
  title: string;
  userId?: number;
}
type PostModel = Model<PostAttributes> & PostAttributes;

// Run against both modules: what passes with node-sqlite3 must pass with this package.
describe.each(IMPLEMENTATIONS)('Sequelize 6 with dialectModule: %s', (_name, sqlite3) => {
  const { dir, cleanup } = tempDir();
  let sequelize: Sequelize;
  let User: ModelStatic<UserModel>;
  let Post: ModelStatic<PostModel>;

  beforeAll(async () => {
    sequelize = new Sequelize({ dialect: 'sqlite', dialectModule: sqlite3, storage: join(dir, 'sequelize.db'), logging: false });
    User = sequelize.define<UserModel>('User', {
      email: { type: DataTypes.STRING, allowNull: false, unique: true },
      name: { type: DataTypes.STRING, allowNull: false },
      avatar: { type: DataTypes.BLOB, allowNull: true },
      bornAt: { type: DataTypes.DATE, allowNull: true },
    });
    Post = sequelize.define<PostModel>('Post', { title: { type: DataTypes.STRING, allowNull: false } });
    User.hasMany(Post, { as: 'posts', foreignKey: 'userId' });
    Post.belongsTo(User, { foreignKey: 'userId' });
    await sequelize.sync({ force: true });
  });
  afterAll(async () => {
    await sequelize.close();
    cleanup();
  });

  it('creates and reads models with associations, blobs and dates', async () => {
    const born = new Date('1815-12-10T00:00:00.000Z');
    const ada = await User.create({ email: 'ada@example.com', name: 'Ada', avatar: Buffer.from([1, 2, 3]), bornAt: born });
    expect(typeof ada.id).toBe('number');
    await Post.bulkCreate([
      { title: 'Notes', userId: ada.id as number },
      { title: 'Engine', userId: ada.id as number },
    ]);
    const found = await User.findOne({ where: { email: 'ada@example.com' }, include: [{ model: Post, as: 'posts' }], order: [[{ model: Post, as: 'posts' }, 'title', 'ASC']] });
    expect(found?.name).toBe('Ada');
    expect(found?.posts?.map((p) => p.title)).toEqual(['Engine', 'Notes']);
    expect(Buffer.isBuffer(found?.avatar)).toBe(true);
    expect([...(found?.avatar as Buffer)]).toEqual([1, 2, 3]);
    expect(found?.bornAt?.toISOString()).toBe(born.toISOString());
  });

  it('bulkCreate returns the new ids', async () => {
    const users = await User.bulkCreate(
      [
        { email: 'grace@example.com', name: 'Grace' },
        { email: 'linus@example.com', name: 'Linus' },
      ],
      { returning: true },
    );
    const ids = users.map((u) => u.id);
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(new Set(ids).size).toBe(2);
    const reread = await User.findAll({ where: { id: { [Op.in]: ids as number[] } }, order: [['id', 'ASC']] });
    expect(reread.map((u) => u.email)).toEqual(['grace@example.com', 'linus@example.com']);
  });

  it('reports a unique violation as SequelizeUniqueConstraintError with the field', async () => {
    const error = await User.create({ email: 'ada@example.com', name: 'Ada again' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expect((error as UniqueConstraintError).name).toBe('SequelizeUniqueConstraintError');
    expect((error as UniqueConstraintError).fields).toEqual(['email']);
    expect(((error as UniqueConstraintError).parent as unknown as { code: string }).code).toBe('SQLITE_CONSTRAINT');
  });

  it('commits a managed transaction and rolls one back on a throw, keeping uncommitted rows private', async () => {
    await sequelize.transaction(async (transaction) => {
      await User.create({ email: 'tx@example.com', name: 'Committed' }, { transaction });
      // A query outside the transaction, while it is open, does not see its row (another connection).
      expect(await User.count({ where: { email: 'tx@example.com' } })).toBe(0);
    });
    expect(await User.count({ where: { email: 'tx@example.com' } })).toBe(1);
    const failure = await sequelize
      .transaction(async (transaction) => {
        await User.create({ email: 'rolled@example.com', name: 'Rolled back' }, { transaction });
        throw new Error('abort');
      })
      .catch((err: Error) => err.message);
    expect(failure).toBe('abort');
    expect(await User.count({ where: { email: 'rolled@example.com' } })).toBe(0);
  });

  it('nests a savepoint inside a transaction and rolls back only the inner part', async () => {
    await sequelize.transaction(async (outer) => {
      await User.create({ email: 'outer@example.com', name: 'Outer' }, { transaction: outer });
      await sequelize
        .transaction({ transaction: outer }, async (inner) => {
          await User.create({ email: 'inner@example.com', name: 'Inner' }, { transaction: inner });
          throw new Error('inner abort');
        })
        .catch(() => undefined);
    });
    expect(await User.count({ where: { email: 'outer@example.com' } })).toBe(1);
    expect(await User.count({ where: { email: 'inner@example.com' } })).toBe(0);
  });

  it('runs an unmanaged transaction with explicit commit and rollback', async () => {
    const t = await sequelize.transaction();
    await User.create({ email: 'manual@example.com', name: 'Manual' }, { transaction: t });
    await t.rollback();
    expect(await User.count({ where: { email: 'manual@example.com' } })).toBe(0);
    const t2 = await sequelize.transaction();
    await User.update({ name: 'Countess' }, { where: { email: 'ada@example.com' }, transaction: t2 });
    await t2.commit();
    expect((await User.findOne({ where: { email: 'ada@example.com' } }))?.name).toBe('Countess');
  });

  it('runs raw queries with replacements and reports affected rows', async () => {
    const [rows] = await sequelize.query('SELECT name FROM Users WHERE email = :email', { replacements: { email: 'grace@example.com' } });
    expect(rows).toEqual([{ name: 'Grace' }]);
    const [affected] = await User.update({ name: 'Renamed' }, { where: { email: { [Op.like]: '%@example.com' }, name: { [Op.ne]: 'Countess' } } });
    expect(affected).toBeGreaterThan(2);
    expect(await User.destroy({ where: { email: 'linus@example.com' } })).toBe(1);
  });
});
