/**
 * The `better-sqlite3` SQLite driver: the npm package (an optional
 * dependency of @djc/core; version 13 ships prebuilt Node-API binaries, so
 * nothing compiles at install). Its Database already has the shape of
 * sqlite-driver.ts's SqliteDb, so it is returned as is: no wrapper on the
 * hot path.
 */
import { createRequire } from 'node:module';
import type { SqliteDb } from './sqlite-driver.js';

type DatabaseConstructor = new (file: string, opts?: { readonly?: boolean }) => SqliteDb;

const require = createRequire(import.meta.url);
const loaded = new Map<string, DatabaseConstructor>();

/** better-sqlite3 13 crashes the process (a segfault, not an error) on Node < 22: refuse before loading it. */
const MIN_NODE_MAJOR = 22;

/** The package's Database class: the package in directory `dir`, else @djc/core's dependency. Throws the loader's error as is. */
export function loadBetterSqlite3(dir?: string): DatabaseConstructor {
  const key = dir ?? '';
  const hit = loaded.get(key);
  if (hit) return hit;
  const major = Number(process.versions.node.split('.')[0]);
  if (major < MIN_NODE_MAJOR) {
    throw Object.assign(new Error(`better-sqlite3 13 needs Node.js ${MIN_NODE_MAJOR} or newer, this is ${process.version}`), {
      code: 'DJC_NODE_TOO_OLD',
    });
  }
  const Database = require(dir ?? 'better-sqlite3') as DatabaseConstructor;
  loaded.set(key, Database);
  return Database;
}

export function openBetterSqlite3(file: string, opts: { readonly: boolean; dir?: string }): SqliteDb {
  const Database = loadBetterSqlite3(opts.dir);
  return new Database(file, { readonly: opts.readonly });
}
