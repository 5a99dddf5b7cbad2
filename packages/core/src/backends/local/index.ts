/**
 * The local (embedded) backend: everything under one home directory
 * (DJC_HOME). `<home>/djc.sqlite` holds jobs, tasks, the coordinator lock and
 * the task queue; `<home>/blobs/` holds the blobs. Any number of processes on
 * one machine may open the same home at once.
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Backend } from '../../ports/backend.js';
import { homeModes, type HomeModes } from '../../util/home-modes.js';
import { openDatabase, openDatabaseReadOnly } from './db.js';
import { isReadOnlyHome, readOnlyHomeError } from './read-only-home.js';
import { FsBlobStore } from './fs-blob-store.js';
import { SqliteJobPruner } from './sqlite-job-pruner.js';
import { SqliteStateStore } from './sqlite-state-store.js';
import { SqliteTaskQueue } from './sqlite-task-queue.js';
import { SqliteJointOps } from './sqlite-joint-ops.js';
import { chooseDriver, type SqliteDriverName } from './sqlite-driver.js';
import type { Checkpointer } from './checkpointer.js';

export interface LocalBackendOptions {
  /** DJC_HOME; created if missing (unless `create` is false). */
  home: string;
  /** The SQLite driver (sqlite-driver.ts); default: DJC_SQLITE_DRIVER, else node:sqlite where Node has it. */
  driver?: SqliteDriverName | 'auto';
  /** The better-sqlite3 package directory to load (DJC_SQLITE_DRIVER=better-sqlite3); default: @djc/core's dependency. */
  betterSqlite3Dir?: string;
  /**
   * False: never create the home or its database. A home without a
   * database then opens as an empty, in-memory one (no jobs, no blobs), so
   * commands that only read answer "no such job" and leave the disk alone.
   * Default true.
   */
  create?: boolean;
  /** Modes of what djc creates in the home (home-modes.ts); default: from DJC_HOME_SHARING. */
  modes?: HomeModes;
  /**
   * Whether startUpkeep starts the WAL checkpointer: true or 'thread', a
   * thread (checkpointer.ts); 'process', a child process
   * (checkpointer-process.ts). Default: DJC_WAL_CHECKPOINTER (`on` or
   * `thread`, `process`), else none (NOTES.md, issue 14 rounds 5-7).
   */
  checkpointer?: boolean | 'thread' | 'process';
}

/** Paths of a local backend's files. */
export function localPaths(home: string): { home: string; db: string; blobs: string } {
  const abs = resolve(home);
  return { home: abs, db: join(abs, 'djc.sqlite'), blobs: join(abs, 'blobs') };
}

export function createLocalBackend(opts: LocalBackendOptions): Backend {
  const paths = localPaths(opts.home);
  const absent = opts.create === false && !existsSync(paths.db);
  const modes = opts.modes ?? homeModes();
  // A home with a database to read; an unwritable one without is explained by open-errors.ts ("cannot create files").
  const readOnly = existsSync(paths.db) && isReadOnlyHome(paths.home, paths.db);
  if (readOnly && opts.create !== false) throw readOnlyHomeError(paths.home, 'start or coordinate jobs');
  if (!absent) createDbFile(paths.home, paths.db, modes);
  const driver = { driver: opts.driver, betterSqlite3Dir: opts.betterSqlite3Dir };
  const db = readOnly ? openDatabaseReadOnly(paths.db, paths.home, driver) : openDatabase(absent ? ':memory:' : paths.db, driver);
  // A driver named here (not through the environment, which workers inherit) is passed on to them.
  const driverEnv: Record<string, string> = opts.driver && opts.driver !== 'auto' ? { DJC_SQLITE_DRIVER: opts.driver } : {};
  const state = new SqliteStateStore({ db });
  const queue = new SqliteTaskQueue({ db });
  // Without the thread, checkpoints stay inside the commits that cross wal_autocheckpoint (db.ts).
  const checkpointer = checkpointerKind(opts.checkpointer);
  const upkeep = readOnly || absent || checkpointer === null ? null : sharedCheckpointer(async () => {
    const o = { file: paths.db, db, driver: chooseDriver(driver), betterSqlite3Dir: opts.betterSqlite3Dir };
    // Loaded when a coordinator starts it: a read command never loads worker_threads or child_process for it.
    if (checkpointer === 'process') return (await import('./checkpointer-process.js')).startCheckpointerProcess(o);
    return (await import('./checkpointer.js')).startCheckpointer(o);
  });
  const blobs = new FsBlobStore({ root: paths.blobs, dirMode: modes.dir, fileMode: modes.file, readOnly: readOnly ? () => readOnlyHomeError(paths.home) : undefined });
  return {
    name: 'local',
    location: paths.home,
    monitorIntervalMs: 200,
    watchIntervalMs: 20,
    state,
    queue,
    // A read-only home writes nothing: no joint writes either.
    ...(readOnly ? {} : { joint: new SqliteJointOps(db, queue, state.leases, state.inserts) }),
    blobs,
    pruner: new SqliteJobPruner(db, { blobs: paths.blobs, workers: join(paths.home, 'workers') }),
    ...(upkeep ? { startUpkeep: upkeep.start } : {}),
    workerEnv: () => ({ DJC_BACKEND: 'local', DJC_HOME: paths.home, ...driverEnv }),
    close: async (o = {}) => {
      await upkeep?.close();
      await Promise.all([state.close(), queue.close(), blobs.close()]);
      // Exiting: the connection ends with the process, without the last-connection checkpoint (CloseOptions).
      if (db.open && o.exiting !== true) db.close();
    },
  };
}

function checkpointerKind(asked: LocalBackendOptions['checkpointer']): 'thread' | 'process' | null {
  const v = asked ?? process.env.DJC_WAL_CHECKPOINTER;
  if (v === true || v === 'on' || v === 'thread') return 'thread';
  if (v === 'process') return 'process';
  return null;
}

/**
 * One checkpointer per backend, started by the first start() and stopped
 * when the last caller (or close()) stops it. Never two at once: a start
 * while the last one still stops begins once it has ended.
 */
function sharedCheckpointer(begin: () => Promise<Checkpointer>): { start(): () => Promise<void>; close(): Promise<void> } {
  let running: Promise<Checkpointer | null> | null = null;
  let stopping: Promise<unknown> = Promise.resolve();
  let users = 0;
  const end = async () => {
    const r = running;
    running = null;
    users = 0;
    const done = (async () => (await r)?.stop())();
    stopping = done.catch(() => undefined);
    await done;
  };
  return {
    start: () => {
      users++;
      // A checkpointer that cannot start leaves the connections' own autocheckpoint in charge (db.ts).
      running ??= stopping.then(begin).catch(() => null);
      let stopped = false;
      return async () => {
        if (stopped) return;
        stopped = true;
        if (--users <= 0) await end();
      };
    },
    close: end,
  };
}

/**
 * The home (mode `modes.dir`) and an empty database file (mode
 * `modes.file`) when missing: SQLite gives its -wal and -shm files the
 * database file's mode, so they are as private as it is.
 */
function createDbFile(home: string, db: string, modes: HomeModes): void {
  if (existsSync(db)) return;
  mkdirSync(home, { recursive: true, mode: modes.dir });
  try {
    closeSync(openSync(db, 'wx', modes.file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

export { openDatabase, type Db } from './db.js';
export { explainOpenError, type OpenFailureReason } from './open-errors.js';
export { chooseDriver, openSqlite, DEFAULT_SQLITE_DRIVER, SQLITE_DRIVERS, type SqliteDriverName, type SqliteDb } from './sqlite-driver.js';
export { SqliteStateStore, createSqliteStateStore, type SqliteStateStoreOptions } from './sqlite-state-store.js';
export { SqliteTaskQueue, createSqliteTaskQueue, type SqliteTaskQueueOptions } from './sqlite-task-queue.js';
export { FsBlobStore, createFsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.js';
