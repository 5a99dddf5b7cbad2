/**
 * The `node` SQLite driver: Node's built-in node:sqlite (`DatabaseSync`),
 * unflagged from Node 22.13 and 23.4, behind the better-sqlite3-shaped
 * interface of sqlite-driver.ts. What it adds on top of node:sqlite:
 * `pluck`, `pragma`, `transaction(fn)` (BEGIN / BEGIN IMMEDIATE / savepoints,
 * rolled back on a throw, as better-sqlite3 does), named parameters bound
 * without their prefix with unknown keys ignored (better-sqlite3's rules),
 * empty BLOBs kept empty on Node 22 (see needsEmptyBlobFix), and `open`.
 *
 * Node 22 prints "ExperimentalWarning: SQLite is an experimental feature"
 * when node:sqlite is first loaded; that one warning is dropped (only while
 * loading it), every other warning still shows.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { RunResult, SqliteDb, Statement, Transaction } from './sqlite-driver.js';

type SqliteModule = typeof import('node:sqlite');

/** node:sqlite's statement methods, called with our loosely typed parameters. */
interface LooseStatement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
  iterate(...params: unknown[]): Iterator<Record<string, unknown>>;
  setAllowUnknownNamedParameters?(on: boolean): void;
  /** Node 22.16+ and 24: rows as arrays, no object built per row. */
  setReturnArrays?(on: boolean): void;
}

const require = createRequire(import.meta.url);
let loaded: SqliteModule | null | undefined;

function isSqliteExperimentalWarning(warning: unknown, args: unknown[]): boolean {
  const text = warning instanceof Error ? warning.message : String(warning);
  const type = warning instanceof Error ? warning.name : typeof args[0] === 'string' ? args[0] : (args[0] as { type?: string } | undefined)?.type;
  return type === 'ExperimentalWarning' && /^SQLite is an experimental feature/.test(text);
}

/** node:sqlite, or null where this Node has none without a flag (before 22.13). */
export function loadNodeSqlite(): SqliteModule | null {
  if (loaded !== undefined) return loaded;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: unknown, ...args: unknown[]) {
    if (isSqliteExperimentalWarning(warning, args)) return;
    return (emitWarning as (...a: unknown[]) => void).call(process, warning, ...args);
  } as typeof process.emitWarning;
  try {
    loaded = require('node:sqlite') as SqliteModule;
  } catch {
    loaded = null;
  } finally {
    process.emitWarning = emitWarning;
  }
  return loaded;
}

/**
 * Node 22's node:sqlite binds a zero-length Uint8Array whose memory was never
 * allocated as NULL (not as an empty BLOB); Node 24's does not. Where a probe
 * sees that, empty views are swapped for one backed by real memory.
 */
const EMPTY_BLOB = new Uint8Array(new ArrayBuffer(1), 0, 0);
let emptyBlobFix: boolean | undefined;

function needsEmptyBlobFix(sqlite: SqliteModule): boolean {
  if (emptyBlobFix === undefined) {
    const probe = new sqlite.DatabaseSync(':memory:');
    const row = probe.prepare('SELECT typeof(?) AS t').get(new Uint8Array(new ArrayBuffer(0))) as { t: string } | undefined;
    probe.close();
    emptyBlobFix = row?.t !== 'blob';
  }
  return emptyBlobFix;
}

function isEmptyView(v: unknown): boolean {
  return ArrayBuffer.isView(v) && v.byteLength === 0 && v !== EMPTY_BLOB;
}

/** `params` with every empty view (positional, or a value of a named-parameter object) replaced by EMPTY_BLOB. */
function withEmptyBlobs(params: unknown[]): unknown[] {
  return params.map((p) => {
    if (isEmptyView(p)) return EMPTY_BLOB;
    if (p === null || typeof p !== 'object' || ArrayBuffer.isView(p)) return p;
    const named = p as Record<string, unknown>;
    if (!Object.values(named).some(isEmptyView)) return p;
    return Object.fromEntries(Object.entries(named).map(([k, v]) => [k, isEmptyView(v) ? EMPTY_BLOB : v]));
  });
}

export function nodeSqliteAvailable(): boolean {
  return loadNodeSqlite() !== null;
}

function firstColumn(row: Record<string, unknown> | undefined): unknown {
  if (row === undefined) return undefined;
  for (const k in row) return row[k];
  return undefined;
}

class NodeStatement implements Statement {
  private plucked = false;
  /** raw() on a node:sqlite without setReturnArrays: arrays made from the row objects. */
  private arrays = false;
  private readonly s: LooseStatement;

  constructor(stmt: StatementSync, private readonly fixBlobs: boolean) {
    this.s = stmt as unknown as LooseStatement;
    this.s.setAllowUnknownNamedParameters?.(true);
  }

  run(...params: unknown[]): RunResult {
    return this.s.run(...(this.fixBlobs ? withEmptyBlobs(params) : params));
  }

  get(...params: unknown[]): unknown {
    const row = this.s.get(...(this.fixBlobs ? withEmptyBlobs(params) : params));
    return this.shape(row);
  }

  all(...params: unknown[]): unknown[] {
    const rows = this.s.all(...(this.fixBlobs ? withEmptyBlobs(params) : params));
    return this.plucked || this.arrays ? rows.map((r) => this.shape(r)) : rows;
  }

  *iterate(...params: unknown[]): IterableIterator<unknown> {
    const it = this.s.iterate(...(this.fixBlobs ? withEmptyBlobs(params) : params));
    for (let r = it.next(); !r.done; r = it.next()) yield this.shape(r.value);
  }

  pluck(on = true): this {
    this.plucked = on;
    return this;
  }

  raw(on = true): this {
    if (this.s.setReturnArrays) this.s.setReturnArrays(on);
    else this.arrays = on;
    return this;
  }

  private shape(row: Record<string, unknown> | undefined): unknown {
    if (this.plucked) return firstColumn(row);
    return this.arrays && row !== undefined ? Object.values(row) : row;
  }
}

class NodeSqliteDb implements SqliteDb {
  private closed = false;
  private depth = 0;
  private readonly begin: Record<'deferred' | 'immediate' | 'exclusive', StatementSync>;
  private readonly commit: StatementSync;
  private readonly rollback: StatementSync;

  constructor(private readonly raw: DatabaseSync, private readonly fixBlobs: boolean) {
    this.begin = {
      deferred: raw.prepare('BEGIN'),
      immediate: raw.prepare('BEGIN IMMEDIATE'),
      exclusive: raw.prepare('BEGIN EXCLUSIVE'),
    };
    this.commit = raw.prepare('COMMIT');
    this.rollback = raw.prepare('ROLLBACK');
  }

  get open(): boolean {
    return !this.closed;
  }

  prepare(sql: string): Statement {
    return new NodeStatement(this.raw.prepare(sql), this.fixBlobs);
  }

  exec(sql: string): this {
    this.raw.exec(sql);
    return this;
  }

  pragma(sql: string, opts: { simple?: boolean } = {}): unknown {
    const rows = this.raw.prepare(`PRAGMA ${sql}`).all() as Record<string, unknown>[];
    return opts.simple ? firstColumn(rows[0]) : rows;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  transaction<F extends (...args: any[]) => any>(fn: F): Transaction<F> {
    const mode = (kind: 'deferred' | 'immediate' | 'exclusive') => (...args: Parameters<F>): ReturnType<F> =>
      this.runInTransaction(kind, () => fn(...args) as ReturnType<F>);
    const tx = mode('deferred') as Transaction<F>;
    tx.deferred = tx;
    tx.immediate = mode('immediate');
    tx.exclusive = mode('exclusive');
    return tx;
  }

  private runInTransaction<R>(kind: 'deferred' | 'immediate' | 'exclusive', body: () => R): R {
    const savepoint = this.depth > 0 ? `djc_savepoint_${this.depth}` : null;
    if (savepoint) this.raw.exec(`SAVEPOINT ${savepoint}`);
    else this.begin[kind].run();
    this.depth++;
    try {
      const result = body();
      if (result && typeof (result as { then?: unknown }).then === 'function') {
        throw new TypeError('Transaction function cannot return a promise');
      }
      if (savepoint) this.raw.exec(`RELEASE ${savepoint}`);
      else this.commit.run();
      return result;
    } catch (e) {
      this.undo(savepoint);
      throw e;
    } finally {
      this.depth--;
    }
  }

  /** Rolls back what is still open (SQLite may have rolled back already, e.g. after SQLITE_FULL). */
  private undo(savepoint: string | null): void {
    const active = (this.raw as unknown as { isTransaction?: boolean }).isTransaction;
    if (active === false) return;
    try {
      if (savepoint) this.raw.exec(`ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      else this.rollback.run();
    } catch (e) {
      if (!/no transaction is active|no such savepoint/.test((e as Error).message)) throw e;
    }
  }

  close(): this {
    if (!this.closed) {
      this.closed = true;
      this.raw.close();
    }
    return this;
  }
}

/**
 * Opens `file` with node:sqlite (`immutable`: read-only, through a
 * `file:…?immutable=1` URL: no locks, no -shm, the WAL not read). Throws
 * when this Node has no node:sqlite (open-errors.ts explains it).
 */
export function openNodeSqlite(file: string, opts: { readonly: boolean; immutable?: boolean }): SqliteDb {
  const sqlite = loadNodeSqlite();
  if (!sqlite) {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    const why = major > 22 || (major === 22 && minor >= 13) ? 'it was turned off (--no-experimental-sqlite?)' : 'djc needs Node 22.15 or newer';
    throw Object.assign(new Error(`node:sqlite is not available in Node.js ${process.version}: ${why}`), {
      code: 'DJC_NO_NODE_SQLITE',
    });
  }
  const target = opts.immutable ? Object.assign(pathToFileURL(file), { search: '?immutable=1' }) : file;
  return new NodeSqliteDb(new sqlite.DatabaseSync(target, { readOnly: opts.readonly || opts.immutable === true }), needsEmptyBlobFix(sqlite));
}
