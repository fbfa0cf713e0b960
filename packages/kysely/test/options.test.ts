import { describe, expect, it } from 'vitest';
import { open } from '@rapsqlite/engine';
import { RapsqliteDialect, type RapsqliteDialectOptions } from '../src/index.ts';

describe('RapsqliteDialect options', () => {
  it.each([
    ['no options', undefined],
    ['no database', {}],
    ['a database that is not a handle', { database: 'app.db' }],
    ['an unknown option', { database: () => open(':memory:'), readOnly: true }],
    ['a bad integer mode', { database: () => open(':memory:'), integers: 'big' }],
    ['a bad transaction mode', { database: () => open(':memory:'), transactionMode: 'later' }],
    ['a non-boolean closeOnDestroy', { database: () => open(':memory:'), closeOnDestroy: 'yes' }],
  ])('refuses %s with ERR_RAPSQLITE_INVALID_ARGUMENT', (_name, options) => {
    expect(() => new RapsqliteDialect(options as unknown as RapsqliteDialectOptions)).toThrow(expect.objectContaining({ code: 'ERR_RAPSQLITE_INVALID_ARGUMENT' }));
  });

  it('freezes its options on entry', async () => {
    const options = { database: () => open(':memory:'), integers: 'auto' as const };
    const dialect = new RapsqliteDialect(options);
    (options as { integers: string }).integers = 'bogus';
    const driver = dialect.createDriver();
    await driver.init();
    await driver.destroy();
  });
});
