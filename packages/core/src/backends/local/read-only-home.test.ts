import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../testing/fixtures.js';
import { sqliteDriversUnderTest } from '../../testing/sqlite-drivers.js';
import { guardReadOnly } from './read-only-home.js';
import { openSqlite, type SqliteDb, type SqliteDriverName } from './sqlite-driver.js';

describe.each(sqliteDriversUnderTest())('a read-only home on the %s driver', (driver: SqliteDriverName) => {
  const open: SqliteDb[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) db.close();
    for (const c of cleanups.splice(0)) await c();
  });

  it('reads through pluck() and raw() as the stores call them (no argument), and refuses writes', async () => {
    const tmp = await tempDir('djc-read-only-');
    cleanups.push(tmp.cleanup);
    const file = join(tmp.dir, 'ro.sqlite');
    const { db: writer } = openSqlite(file, { driver });
    open.push(writer);
    writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES ('a'), ('b')");
    const db = guardReadOnly(openSqlite(file, { driver, readonly: true }).db, tmp.dir);
    open.push(db);
    expect(db.prepare('SELECT name FROM t ORDER BY id').pluck().all()).toEqual(['a', 'b']);
    expect(db.prepare('SELECT id, name FROM t ORDER BY id').raw().all()).toEqual([[1, 'a'], [2, 'b']]);
    expect(db.prepare('SELECT name FROM t ORDER BY id').pluck(false).get()).toMatchObject({ name: 'a' });
    expect(() => db.prepare("INSERT INTO t (name) VALUES ('c')").run()).toThrow(/is read-only/);
  });
});
