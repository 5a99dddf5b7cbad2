/**
 * SQLite result codes of an error thrown by either driver, by name:
 * better-sqlite3 sets `code` to 'SQLITE_BUSY', 'SQLITE_CONSTRAINT_UNIQUE', …;
 * node:sqlite sets `code` 'ERR_SQLITE_ERROR' and the number in `errcode`
 * (extended codes carry the primary one in the low byte).
 */
const PRIMARY: Record<number, string> = {
  1: 'SQLITE_ERROR', 2: 'SQLITE_INTERNAL', 3: 'SQLITE_PERM', 4: 'SQLITE_ABORT', 5: 'SQLITE_BUSY', 6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM', 8: 'SQLITE_READONLY', 9: 'SQLITE_INTERRUPT', 10: 'SQLITE_IOERR', 11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND', 13: 'SQLITE_FULL', 14: 'SQLITE_CANTOPEN', 15: 'SQLITE_PROTOCOL', 16: 'SQLITE_EMPTY',
  17: 'SQLITE_SCHEMA', 18: 'SQLITE_TOOBIG', 19: 'SQLITE_CONSTRAINT', 20: 'SQLITE_MISMATCH', 21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS', 23: 'SQLITE_AUTH', 24: 'SQLITE_FORMAT', 25: 'SQLITE_RANGE', 26: 'SQLITE_NOTADB',
};

/** The primary result code's name ('SQLITE_BUSY', 'SQLITE_CANTOPEN', …), or null when `e` is not a SQLite error. */
export function sqlitePrimaryCode(e: unknown): string | null {
  const err = e as { code?: unknown; errcode?: unknown } | null;
  if (typeof err?.errcode === 'number') return PRIMARY[err.errcode & 0xff] ?? null;
  if (typeof err?.code === 'string' && err.code.startsWith('SQLITE_')) {
    const name = /^SQLITE_[A-Z]+/.exec(err.code)?.[0] ?? null;
    return name;
  }
  return null;
}
