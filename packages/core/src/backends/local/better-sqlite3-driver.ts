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

/**
 * better-sqlite3 13 is built for Node-API 10 (Node 22.14+, 23.6+) and crashes
 * the process (a segfault, not an error) on an older Node: refuse first.
 */
const NODE_API_VERSION = 10;

/** The package's Database class: the package in directory `dir`, else @djc/core's dependency. Throws the loader's error as is. */
export function loadBetterSqlite3(dir?: string): DatabaseConstructor {
  const key = dir ?? '';
  const hit = loaded.get(key);
  if (hit) return hit;
  const napi = Number(process.versions.napi ?? 0);
  if (napi < NODE_API_VERSION) {
    throw Object.assign(new Error(`better-sqlite3 13 needs Node-API ${NODE_API_VERSION} (Node.js 22.14 or newer); Node.js ${process.version} has ${napi}`), {
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
