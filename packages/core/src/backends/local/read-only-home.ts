/**
 * A home this process may not write (a read-only mount, another user's
 * group-shared home, `chmod a-w`): the reading commands (list, status,
 * tasks, logs, results) still work, and every write fails with one clear
 * BACKEND_UNAVAILABLE error (exit 3) that names the home.
 *
 * How "read-only" is judged: access(2) says the home directory or its
 * database is not writable (EACCES, EROFS), or neither has a write bit at
 * all. The second rule is for root, to whom access(2) grants everything on a
 * writable file system: a home made `chmod a-w` reads as read-only to root
 * too, so an operator can freeze a home for inspection.
 *
 * How it is opened: SQLite read-only (no journal-mode change, no
 * migration); when that cannot read (a WAL database whose -shm file is
 * absent and cannot be created in the directory), `immutable=1` (no locks,
 * no -shm; right then, because without a -shm file nothing waits in the WAL).
 * The handle is wrapped so that writes throw before reaching SQLite.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { DjcError } from '../../errors.js';
import { sqlitePrimaryCode } from './sqlite-error-code.js';
import type { SqliteDb, Statement, Transaction } from './sqlite-driver.js';

function unwritable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EROFS' || code === 'EPERM';
  }
  try {
    return (statSync(path).mode & 0o222) === 0;
  } catch {
    return false;
  }
}

/** True when the existing home (or its database) may not be written by this process (see the header). */
export function isReadOnlyHome(home: string, dbFile: string): boolean {
  return unwritable(home) || unwritable(dbFile);
}

/** The error every write to a read-only home throws. */
export function readOnlyHomeError(home: string, what = 'change jobs'): DjcError {
  return new DjcError('BACKEND_UNAVAILABLE', `the home ${home} is read-only: djc can read its jobs here but not ${what}`, {
    hint: `run this as the home's owner, make it writable (chmod u+w ${home} and its files), or point DJC_HOME (or --home) at a writable home`,
    details: { reason: 'read-only' },
  });
}

/** True when `e` says SQLite could not read a WAL database read-only (so `immutable=1` is needed). */
export function needsImmutable(e: unknown): boolean {
  const code = sqlitePrimaryCode(e);
  return code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN';
}

const WRITE_SQL = /^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|BEGIN\s+(IMMEDIATE|EXCLUSIVE)|VACUUM)\b/i;

/** `db` whose writes throw readOnlyHomeError(home) instead of reaching SQLite. */
export function guardReadOnly(db: SqliteDb, home: string): SqliteDb {
  const refuse = (): never => {
    throw readOnlyHomeError(home);
  };
  const guardStatement = (s: Statement, writes: boolean): Statement => new Proxy(s, {
    get(target, prop, receiver) {
      if (prop === 'run' && writes) return refuse;
      const v = Reflect.get(target, prop, receiver) as unknown;
      // No argument passed on as none: better-sqlite3 throws on pluck(undefined) ("Expected first argument to be a boolean").
      if (prop === 'pluck' || prop === 'raw') return (...on: [boolean?]) => guardStatement((v as (on?: boolean) => Statement).call(target, ...on), writes);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    get open() { return db.open; },
    prepare: (sql) => guardStatement(db.prepare(sql), WRITE_SQL.test(sql)),
    exec: (sql) => (WRITE_SQL.test(sql) ? refuse() : db.exec(sql)),
    pragma: (sql, opts) => db.pragma(sql, opts),
    transaction: <F extends (...args: never[]) => unknown>(fn: F) => {
      const tx = db.transaction(fn as never) as unknown as Transaction<F>;
      const wrapped = ((...args: Parameters<F>) => tx(...args)) as Transaction<F>;
      wrapped.deferred = (...args) => tx.deferred(...args);
      wrapped.immediate = refuse;
      wrapped.exclusive = refuse;
      return wrapped;
    },
    close: () => db.close(),
  } as SqliteDb;
}
