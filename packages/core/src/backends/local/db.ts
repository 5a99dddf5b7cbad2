/**
 * Opens the local backend's SQLite file shared by the coordinator and every
 * worker process: WAL (readers never block the writer), synchronous=NORMAL
 * (no fsync per commit; a power cut may lose the last commits, never corrupt
 * the file), a checkpoint at least every WAL_AUTOCHECKPOINT_PAGES, then brings the
 * schema up to date. While opening, busy_timeout makes SQLite wait for
 * locks; afterwards it is 0 and callers wait for the write lock through
 * `withLock` (sqlite-retry.ts explains why). The driver (node:sqlite or
 * better-sqlite3) is chosen by sqlite-driver.ts.
 */
import { DjcError } from '../../errors.js';
import { MIGRATIONS } from './migrations.js';
import { guardReadOnly, needsImmutable } from './read-only-home.js';
import { withLockSync } from './sqlite-retry.js';
import { openSqlite, type OpenSqliteOptions, type SqliteDb } from './sqlite-driver.js';

export type Db = SqliteDb;

export const BUSY_TIMEOUT_MS = 5000;

/**
 * WAL pages after which a commit also checkpoints (SQLite's default: 1000).
 * A checkpoint copies the WAL into the file and syncs both, inside the
 * COMMIT of whichever worker crossed the line: at 1000 pages, 20,000 no-op
 * tasks on 2 workers made ~110 commits of 5 ms or more per worker (20 ms on
 * average, ~90% of its COMMIT time). At 10,000 (~40 MiB of WAL, under
 * journal_size_limit) there are 3–4× fewer, and a checkpoint copies a hot
 * page (the job row, queue and index pages) once, not once per 1000 pages.
 * While a coordinator runs with DJC_WAL_CHECKPOINTER=on, its checkpointer
 * thread (checkpointer.ts) keeps the WAL well below this, so no commit gets
 * there: it is the backstop that bounds the WAL when none runs (workers
 * alone, `djc-worker` on Slurm).
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** Opens `file` (see the header). Errors are the driver's own; open-errors.ts tells their causes apart. */
export function openDatabase(file: string, opts: Pick<OpenSqliteOptions, 'driver' | 'betterSqlite3Dir'> = {}): Db {
  const { db } = openSqlite(file, opts);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    withLockSync(() => db.pragma('journal_mode = WAL'));
    db.pragma('synchronous = NORMAL');
    db.pragma('journal_size_limit = 67108864');
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    withLockSync(() => migrate(db));
    db.pragma('busy_timeout = 0');
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/**
 * Opens `file` of the read-only `home` (read-only-home.ts): SQLite read-only,
 * else immutable; no journal-mode change, no migration (a schema other than
 * this djc's is an error naming the fix); writes throw readOnlyHomeError.
 */
export function openDatabaseReadOnly(file: string, home: string, opts: Pick<OpenSqliteOptions, 'driver' | 'betterSqlite3Dir'> = {}): Db {
  let db = openSqlite(file, { ...opts, readonly: true }).db;
  let version: number;
  try {
    version = schemaVersion(db);
  } catch (e) {
    db.close();
    if (!needsImmutable(e)) throw e;
    db = openSqlite(file, { ...opts, immutable: true }).db;
    try {
      version = schemaVersion(db);
    } catch (e2) {
      db.close();
      throw e2;
    }
  }
  if (version !== MIGRATIONS.length) {
    db.close();
    const older = version < MIGRATIONS.length;
    throw new DjcError('BACKEND_UNAVAILABLE', `the read-only home ${home} has schema version ${version}, ${older ? 'older' : 'newer'} than this djc's (${MIGRATIONS.length}), and djc may not ${older ? 'upgrade' : 'change'} it`, {
      hint: older ? `run any djc command once with write access to ${home} (it upgrades the file), or read it with the djc that wrote it` : 'upgrade djc, or read it with the djc that wrote it',
      details: { reason: 'read-only' },
    });
  }
  return guardReadOnly(db, home);
}

/** The file's schema version (0 for a database djc never set up). */
function schemaVersion(db: Db): number {
  const table = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'schema_version'").get() as { n: number };
  if (table.n === 0) return 0;
  return (db.prepare('SELECT max(version) AS version FROM schema_version').get() as { version: number | null }).version ?? 0;
}

/**
 * Applies the migrations newer than the file's schema_version, atomically.
 * An up-to-date file (every open but the first after an upgrade) is only
 * read: the IMMEDIATE transaction takes the write lock, which every CLI call
 * (`djc status` during a job) would otherwise wait for behind the workers'
 * commits (issue 14). A file found behind is read again inside it.
 */
export function migrate(db: Db): void {
  if (schemaVersion(db) === MIGRATIONS.length) return;
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = db.prepare('SELECT max(version) AS version FROM schema_version').get() as { version: number | null };
    const current = row.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new DjcError('BACKEND_UNAVAILABLE', `the local database has schema version ${current}, newer than this djc knows (${MIGRATIONS.length})`, {
        hint: 'upgrade djc, or use another DJC_HOME',
      });
    }
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v - 1] as string);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v);
    }
  }).immediate();
}
