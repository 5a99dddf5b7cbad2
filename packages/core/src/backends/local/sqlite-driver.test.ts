import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { rejectionOf, tempDir } from '../../testing/fixtures.js';
import { expectDjcError } from '../../testing/contract-harness.js';
import { sqliteDriversUnderTest } from '../../testing/sqlite-drivers.js';
import { chooseDriver, DEFAULT_SQLITE_DRIVER, openSqlite, type SqliteDb, type SqliteDriverName } from './sqlite-driver.js';
import { isBusyError } from './sqlite-retry.js';
import { positional } from './positional-params.js';
import { sqlitePrimaryCode } from './sqlite-error-code.js';

const run = promisify(execFile);

describe.each(sqliteDriversUnderTest())('the %s SQLite driver', (driver: SqliteDriverName) => {
  const open: SqliteDb[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) db.close();
    for (const c of cleanups.splice(0)) await c();
  });
  async function fresh(): Promise<{ db: SqliteDb; file: string }> {
    const tmp = await tempDir('djc-driver-');
    cleanups.push(tmp.cleanup);
    const file = join(tmp.dir, 'test.sqlite');
    const { db, driver: used } = openSqlite(file, { driver });
    expect(used).toBe(driver);
    open.push(db);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER, b BLOB)');
    return { db, file };
  }

  it('binds positional and named parameters (unknown keys ignored); run() counts changes; RETURNING gives the row', async () => {
    const { db } = await fresh();
    const ins = db.prepare('INSERT INTO t (name, n) VALUES (@name, @n) RETURNING id, name, n');
    expect({ ...(ins.get({ name: 'a', n: 1, extra: 'ignored' }) as object) }).toEqual({ id: 1, name: 'a', n: 1 });
    expect(db.prepare('INSERT INTO t (name, n) VALUES (?, ?)').run('b', 2)).toEqual({ changes: 1, lastInsertRowid: 2 });
    expect(db.prepare('UPDATE t SET n = n + 10').run().changes).toBe(2);
    expect(db.prepare('UPDATE t SET n = 0 WHERE name = ?').run('nobody').changes).toBe(0);
    const rows = db.prepare('SELECT name, n FROM t ORDER BY id').all() as { name: string; n: number }[];
    expect(rows.map((r) => [r.name, r.n])).toEqual([['a', 11], ['b', 12]]);
  });

  it('reads integers as numbers, takes bigints, and keeps BLOBs (empty ones too) as bytes', async () => {
    const { db } = await fresh();
    const ins = db.prepare('INSERT INTO t (name, n, b) VALUES (?, ?, ?)');
    ins.run('big', 2n ** 40n, new Uint8Array([1, 2, 3]));
    const empty = new Uint8Array(new ArrayBuffer(0));
    ins.run('empty', Number.MAX_SAFE_INTEGER, Buffer.from(empty.buffer, 0, 0));
    ins.run('none', 0, null);
    const rows = db.prepare('SELECT name, n, b, typeof(b) AS type FROM t ORDER BY id').all() as { name: string; n: unknown; b: unknown; type: string }[];
    expect(rows.map((r) => [r.name, r.n, r.type])).toEqual([['big', 2 ** 40, 'blob'], ['empty', Number.MAX_SAFE_INTEGER, 'blob'], ['none', 0, 'null']]);
    expect(rows[0]?.b).toBeInstanceOf(Uint8Array);
    expect([...(rows[0]?.b as Uint8Array)]).toEqual([1, 2, 3]);
    expect((rows[1]?.b as Uint8Array).byteLength).toBe(0);
    const updated = db.prepare('UPDATE t SET b = @b WHERE name = @name RETURNING typeof(b) AS type').get({ name: 'none', b: new Uint8Array(0) });
    expect(updated).toMatchObject({ type: 'blob' });
  });

  it('pluck() returns first columns; iterate() walks the rows; get() of no row is undefined', async () => {
    const { db } = await fresh();
    const ins = db.prepare('INSERT INTO t (name, n) VALUES (?, ?)');
    for (const [name, n] of [['x', 1], ['y', 2], ['z', 3]] as const) ins.run(name, n);
    expect(db.prepare('SELECT name FROM t WHERE n = ?').pluck().get(2)).toBe('y');
    expect(db.prepare('SELECT n, name FROM t ORDER BY n').pluck().all()).toEqual([1, 2, 3]);
    expect(db.prepare('SELECT name FROM t WHERE n = ?').pluck().get(9)).toBeUndefined();
    expect(db.prepare('SELECT name FROM t WHERE n = ?').get(9)).toBeUndefined();
    expect([...db.prepare('SELECT name FROM t ORDER BY n DESC').pluck().iterate()]).toEqual(['z', 'y', 'x']);
    expect([...db.prepare('SELECT n FROM t WHERE n > ? ORDER BY n').iterate(1)].map((r) => (r as { n: number }).n)).toEqual([2, 3]);
  });

  it('raw() returns rows as arrays in column order, RETURNING rows too; positional() binds each @name where it stands', async () => {
    const { db } = await fresh();
    const ins = db.prepare('INSERT INTO t (name, n) VALUES (?, ?)');
    for (const [name, n] of [['x', 1], ['y', 2]] as const) ins.run(name, n);
    expect(db.prepare('SELECT n, name FROM t WHERE n = ?').raw().get(2)).toEqual([2, 'y']);
    expect(db.prepare('SELECT name, n FROM t ORDER BY n').raw().all()).toEqual([['x', 1], ['y', 2]]);
    expect(db.prepare('SELECT name FROM t WHERE n = ?').raw().get(9)).toBeUndefined();
    // A name used twice is bound twice; the values come in the list's order, not the SQL's.
    const bump = positional(db, 'UPDATE t SET n = n + @by WHERE name = @name AND n < @by + 10 RETURNING name, n', ['name', 'by']);
    expect(bump.get(['y', 5])).toEqual(['y', 7]);
    expect(bump.get(['nobody', 5])).toBeUndefined();
    expect(() => positional(db, 'SELECT @missing', ['name'])).toThrow(/@missing/);
  });

  it('transaction(fn).immediate commits, rolls back on a throw, nests with savepoints, and refuses a promise', async () => {
    const { db } = await fresh();
    const ins = db.prepare('INSERT INTO t (name) VALUES (?)');
    const names = () => db.prepare('SELECT name FROM t ORDER BY id').pluck().all();
    const insertAll = db.transaction((list: string[]) => {
      for (const n of list) ins.run(n);
      return list.length;
    });
    expect(insertAll.immediate(['a', 'b'])).toBe(2);
    expect(() => insertAll.immediate(['c', 'a'])).toThrow(/UNIQUE/);
    expect(names()).toEqual(['a', 'b']);
    const outer = db.transaction(() => {
      ins.run('c');
      try {
        insertAll(['d', 'a']);
      } catch {
        // the inner part alone is undone
      }
      ins.run('e');
    });
    outer.immediate();
    expect(names()).toEqual(['a', 'b', 'c', 'e']);
    expect(() => db.transaction(async () => ins.run('f')).immediate()).toThrow(/promise/);
    expect(names()).toEqual(['a', 'b', 'c', 'e']);
  });

  it('pragma(sql, { simple }) reads a setting; close() ends the handle once', async () => {
    const { db } = await fresh();
    expect(db.pragma('journal_mode = WAL', { simple: true })).toBe('wal');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('table_info(t)')).toHaveLength(4);
    expect(db.open).toBe(true);
    db.close();
    expect(db.open).toBe(false);
  });

  it('names SQLite errors alike: a constraint, and SQLITE_BUSY while another connection writes', async () => {
    const { db, file } = await fresh();
    db.prepare('INSERT INTO t (name) VALUES (?)').run('a');
    const dup = (() => {
      try {
        db.prepare('INSERT INTO t (name) VALUES (?)').run('a');
      } catch (e) {
        return e;
      }
    })();
    expect(sqlitePrimaryCode(dup)).toBe('SQLITE_CONSTRAINT');
    db.pragma('journal_mode = WAL');
    const other = openSqlite(file, { driver }).db;
    open.push(other);
    other.pragma('busy_timeout = 0');
    db.exec('BEGIN IMMEDIATE');
    const busy = (() => {
      try {
        other.transaction(() => other.prepare('INSERT INTO t (name) VALUES (?)').run('b')).immediate();
      } catch (e) {
        return e;
      }
    })();
    db.exec('ROLLBACK');
    expect(sqlitePrimaryCode(busy)).toBe('SQLITE_BUSY');
    expect(isBusyError(busy)).toBe(true);
    expect(isBusyError(dup)).toBe(false);
  });
});

describe('choosing the SQLite driver', () => {
  it('DJC_SQLITE_DRIVER picks one; unset or auto is the default; anything else is a usage error naming the choices', async () => {
    expect(chooseDriver({ env: { DJC_SQLITE_DRIVER: 'better-sqlite3' } })).toBe('better-sqlite3');
    expect(chooseDriver({ env: { DJC_SQLITE_DRIVER: 'node' } })).toBe('node');
    expect(chooseDriver({ env: {} })).toBe(DEFAULT_SQLITE_DRIVER);
    expect(chooseDriver({ env: { DJC_SQLITE_DRIVER: 'auto' } })).toBe(DEFAULT_SQLITE_DRIVER);
    expect(chooseDriver({ driver: 'node', env: { DJC_SQLITE_DRIVER: 'better-sqlite3' } })).toBe('node');
    const e = await rejectionOf(Promise.resolve().then(() => chooseDriver({ env: { DJC_SQLITE_DRIVER: 'sqlite3' } })));
    expect(expectDjcError(e, 'USAGE').message).toBe('DJC_SQLITE_DRIVER is "sqlite3"');
    expect((e as { hint: string }).hint).toMatch(/node .*better-sqlite3.*auto/);
  });

  it('loading the node driver prints no SQLite ExperimentalWarning, and other warnings still show', async () => {
    const driverModule = new URL('./node-sqlite-driver.ts', import.meta.url).href;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = `
      const { openNodeSqlite } = await import(${JSON.stringify(driverModule)});
      const db = openNodeSqlite(':memory:', { readonly: false });
      db.close();
      process.emitWarning('still shown', 'ExperimentalWarning');
      await new Promise((r) => setTimeout(r, 50));
    `;
    const { stderr } = await run(process.execPath, ['--import', tsx, '--input-type=module', '-e', script]);
    expect(stderr).toContain('ExperimentalWarning: still shown');
    expect(stderr).not.toMatch(/SQLite is an experimental feature/);
  });
});
