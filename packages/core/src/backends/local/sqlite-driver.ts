/**
 * The SQLite driver behind the local backend: one small interface, the subset
 * of better-sqlite3's API the backend uses, with two implementations chosen
 * when the file is opened:
 *
 * - `node`: Node's built-in `node:sqlite` (Node 22.15+ and 24; no native
 *   module to install or compile). The default where Node has it.
 * - `better-sqlite3`: the npm package (an optional dependency; its Node-API
 *   binary ships prebuilt). Used where node:sqlite is missing, or when asked.
 *
 * `DJC_SQLITE_DRIVER=node|better-sqlite3` overrides the choice (unset or
 * `auto`: the default above). Processes on one file may use different
 * drivers: the file format and the locking are SQLite's own.
 *
 * What both give callers: `db.prepare(sql)` → `run/get/all/iterate`, with
 * positional (`?`) or named (`@name`, bound from `{ name }`) parameters,
 * unknown named keys ignored; `.pluck()` for the first column, `.raw()` for
 * rows as arrays; rows as plain
 * objects (null-prototype with `node`); integers as numbers; BLOBs as
 * Uint8Array (a Buffer with better-sqlite3); `run()` → `{ changes,
 * lastInsertRowid }`. `db.transaction(fn)` with `.immediate(...)` (BEGIN
 * IMMEDIATE), savepoints when nested, rolled back on a throw; `exec`,
 * `pragma(sql, { simple })`, `close`, `open`. Errors: sqlite-error-code.ts
 * names them the same way for both.
 */
import { openBetterSqlite3 } from './better-sqlite3-driver.js';
import { nodeSqliteAvailable, openNodeSqlite } from './node-sqlite-driver.js';
import { DjcError } from '../../errors.js';

export type SqliteDriverName = 'node' | 'better-sqlite3';
export const SQLITE_DRIVERS: readonly SqliteDriverName[] = ['node', 'better-sqlite3'];

/** The driver used when neither the caller nor DJC_SQLITE_DRIVER names one (see docs/benchmarks.md, section 6). */
export const DEFAULT_SQLITE_DRIVER: SqliteDriverName = 'node';

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface Statement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Rows become their first column's value (on: true, the default). */
  pluck(on?: boolean): this;
  /**
   * Rows become arrays of their column values, in the statement's column
   * order (on: true, the default): no object with the column names is built
   * per row (node:sqlite setReturnArrays, better-sqlite3 raw). For hot
   * statements that return a few columns.
   */
  raw(on?: boolean): this;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

/** `fn` run in a transaction: BEGIN (deferred) when called, or `.immediate(...)` / `.exclusive(...)`. */
export interface Transaction<F extends AnyFn> {
  (...args: Parameters<F>): ReturnType<F>;
  deferred(...args: Parameters<F>): ReturnType<F>;
  immediate(...args: Parameters<F>): ReturnType<F>;
  exclusive(...args: Parameters<F>): ReturnType<F>;
}

export interface SqliteDb {
  /** False once closed. */
  readonly open: boolean;
  prepare(sql: string): Statement;
  exec(sql: string): unknown;
  /** `PRAGMA <sql>`: its rows, or with `simple` the first column of the first row. */
  pragma(sql: string, opts?: { simple?: boolean }): unknown;
  transaction<F extends AnyFn>(fn: F): Transaction<F>;
  close(): unknown;
}

export interface OpenSqliteOptions {
  /** A driver, or 'auto' / undefined: DJC_SQLITE_DRIVER, else the default. */
  driver?: SqliteDriverName | 'auto';
  readonly?: boolean;
  /**
   * Read-only without locks or -shm, the WAL unread (SQLite's `immutable=1`):
   * for a home no process can write. node:sqlite only (better-sqlite3 takes
   * no URI): asked of better-sqlite3, node:sqlite opens it where Node has it.
   */
  immutable?: boolean;
  /** The better-sqlite3 package directory to load; default: @djc/core's dependency. Tests point it at a copy. */
  betterSqlite3Dir?: string;
  env?: NodeJS.ProcessEnv;
}

/** The driver DJC_SQLITE_DRIVER asks for, undefined when unset or `auto`; a wrong value is a USAGE error. */
export function requestedDriver(env: NodeJS.ProcessEnv = process.env): SqliteDriverName | undefined {
  const v = env.DJC_SQLITE_DRIVER?.trim();
  if (!v || v === 'auto') return undefined;
  if ((SQLITE_DRIVERS as readonly string[]).includes(v)) return v as SqliteDriverName;
  throw new DjcError('USAGE', `DJC_SQLITE_DRIVER is "${v}"`, {
    hint: 'set DJC_SQLITE_DRIVER to node (built into Node 22.15+), better-sqlite3, or auto (or unset it)',
  });
}

/** The driver a file opened now would use: the one asked for, else the default where Node has it, else the other. */
export function chooseDriver(opts: Pick<OpenSqliteOptions, 'driver' | 'env'> = {}): SqliteDriverName {
  const asked = opts.driver === undefined || opts.driver === 'auto' ? requestedDriver(opts.env) : opts.driver;
  if (asked) return asked;
  if (DEFAULT_SQLITE_DRIVER === 'node') return nodeSqliteAvailable() ? 'node' : 'better-sqlite3';
  return DEFAULT_SQLITE_DRIVER;
}

/** Opens (creating if missing) the SQLite file with the chosen driver. Throws the driver's error as is (open-errors.ts explains it). */
export function openSqlite(file: string, opts: OpenSqliteOptions = {}): { db: SqliteDb; driver: SqliteDriverName } {
  const immutable = opts.immutable === true;
  const driver = immutable && nodeSqliteAvailable() ? 'node' : chooseDriver(opts);
  const readonly = opts.readonly ?? false;
  const db = driver === 'node' ? openNodeSqlite(file, { readonly, immutable }) : openBetterSqlite3(file, { readonly, dir: opts.betterSqlite3Dir });
  return { db, driver };
}
