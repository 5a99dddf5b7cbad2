/**
 * Hot statements (a claim, an end: one each per task) bind their values by
 * position and return their row as an array (sqlite-driver's raw()):
 * node:sqlite looks every named parameter up by its name on each call
 * (~0.5 µs apiece) and builds an object per row. `positional(db, sql,
 * names)` prepares `sql` with each `@name` turned into a plain `?` (a
 * numbered `?N` is a named parameter to better-sqlite3), so the SQL keeps
 * its names; `get(values)` takes the values in `names` order and binds them
 * as the `?`s need them (a name used twice is bound twice).
 */
import type { Db } from './db.js';

export interface PositionalStatement {
  /** The row's column values as an array, or undefined. */
  get(values: readonly unknown[]): unknown[] | undefined;
  /** Every row's column values, each as an array. */
  all(values: readonly unknown[]): unknown[][];
}

export function positional(db: Db, sql: string, names: readonly string[]): PositionalStatement {
  const order: number[] = [];
  const text = sql.replace(/@(\w+)/g, (_, name: string) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`positional: @${name} is not in the parameter list`);
    order.push(i);
    return '?';
  });
  const stmt = db.prepare(text).raw();
  return {
    get: (values) => stmt.get(...order.map((i) => values[i])) as unknown[] | undefined,
    all: (values) => stmt.all(...order.map((i) => values[i])) as unknown[][],
  };
}
