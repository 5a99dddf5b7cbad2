/**
 * Why the local backend could not open, told apart so that each cause gets
 * its own fix (`details.reason` under --json):
 *
 * - `abi`: better-sqlite3's native module was built for another Node.js
 *   (NODE_MODULE_VERSION): rebuild it, or use the built-in driver.
 * - `native-missing`: better-sqlite3 is installed without a native module for
 *   this platform (never built, or a failed build): build it, or use node.
 * - `not-installed`: better-sqlite3 (an optional dependency) is absent.
 * - `no-node-sqlite`: DJC_SQLITE_DRIVER=node on a Node without node:sqlite.
 * - `node-too-old`: better-sqlite3 on a Node without Node-API 10 (before 22.14).
 * - `locked`: another process held the write lock for the whole wait: who.
 * - `unwritable`, `not-a-directory`: DJC_HOME cannot hold the files.
 * - `read-only`: a home this process may read but not write, asked to write
 *   (read-only-home.ts; the reading commands open it).
 * - `not-a-database`: djc.sqlite is not an SQLite file.
 * - `other`: anything else, with the original message.
 */
import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DjcError, isDjcError } from '../../errors.js';
import { writeLockHolders, type LockHolder } from './lock-holders.js';
import { sqlitePrimaryCode } from './sqlite-error-code.js';
import { isBusyError } from './sqlite-retry.js';

export type OpenFailureReason =
  | 'abi' | 'native-missing' | 'not-installed' | 'no-node-sqlite' | 'node-too-old' | 'locked' | 'unwritable' | 'not-a-directory'
  | 'not-a-database' | 'read-only' | 'other';

interface Explained {
  reason: OpenFailureReason;
  message: string;
  hint: string;
  holders?: LockHolder[];
}

const USE_NODE = 'or use the driver built into Node 22.15+: DJC_SQLITE_DRIVER=node';

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function errCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The driver's (or the loader's) cause, classified; null when it is not about loading a driver. */
function driverCause(e: unknown): Explained | null {
  const text = errText(e);
  const code = errCode(e);
  const abi = /NODE_MODULE_VERSION (\d+)[\s\S]*?requires\s+NODE_MODULE_VERSION (\d+)/.exec(text);
  if (abi) {
    return {
      reason: 'abi',
      message: `better-sqlite3's native module was built for another Node.js (NODE_MODULE_VERSION ${abi[1]}; Node ${process.version} needs ${abi[2]})`,
      hint: `rebuild it with this Node: pnpm rebuild better-sqlite3 (npm rebuild better-sqlite3 outside a pnpm checkout), ${USE_NODE}`,
    };
  }
  if (code === 'DJC_NO_NODE_SQLITE') {
    return {
      reason: 'no-node-sqlite',
      message: text,
      hint: 'run djc with Node 22.15+ or 24 and node:sqlite on, or use the other driver: DJC_SQLITE_DRIVER=better-sqlite3',
    };
  }
  if (code === 'DJC_NODE_TOO_OLD') {
    return {
      reason: 'node-too-old',
      message: text,
      hint: 'run djc with Node 22.15+ or 24 (npm run example fetches Node 24 into .cache/node when the system Node is older)',
    };
  }
  if ((code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && /Cannot find module '([^']*\/)?better-sqlite3'/.test(text)) {
    return {
      reason: 'not-installed',
      message: 'better-sqlite3 is not installed (DJC_SQLITE_DRIVER=better-sqlite3 needs it; it is an optional dependency)',
      hint: `install it: pnpm install (optional dependencies included), ${USE_NODE}`,
    };
  }
  if (/better_sqlite3\.node|Could not locate the bindings file/.test(text) || (code === 'ERR_DLOPEN_FAILED' && /better.sqlite3/.test(text))) {
    return {
      reason: 'native-missing',
      message: `better-sqlite3 has no usable native module for ${process.platform}-${process.arch}: ${text.split('\n')[0]}`,
      hint: 'build it: pnpm rebuild better-sqlite3 (pnpm runs its build only when allowed: move it from ignoredBuiltDependencies '
        + `to onlyBuiltDependencies in pnpm-workspace.yaml; needs python3, make and a C++ compiler), ${USE_NODE}`,
    };
  }
  return null;
}

/** What stops `home` from holding files: the errno of creating one there (or of its first existing ancestor), or null. */
function homeProblem(home: string): { reason: 'unwritable' | 'not-a-directory'; path: string; code: string } | null {
  let dir = home;
  for (;;) {
    try {
      if (!statSync(dir).isDirectory()) return { reason: 'not-a-directory', path: dir, code: 'ENOTDIR' };
      break;
    } catch {
      // missing, or under a file: look at the parent
      if (dirname(dir) === dir) return null;
      dir = dirname(dir);
    }
  }
  const probe = join(dir, `.djc-write-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
    return null;
  } catch (e) {
    const code = errCode(e) ?? 'EACCES';
    return code === 'EEXIST' ? null : { reason: 'unwritable', path: dir, code };
  }
}

const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied', EPERM: 'operation not permitted (an immutable directory, or a policy)',
  EROFS: 'a read-only file system', ENOSPC: 'no space left on the device', EDQUOT: 'over the disk quota',
};

function fileCause(e: unknown, home: string, dbFile: string): Explained | null {
  const problem = homeProblem(home);
  if (problem?.reason === 'not-a-directory') {
    return {
      reason: 'not-a-directory',
      message: `${problem.path} is not a directory, so DJC_HOME ${home} cannot be one`,
      hint: 'point DJC_HOME (or --home) at a directory; it is created when missing',
    };
  }
  if (problem) {
    const why = ERRNO_TEXT[problem.code] ?? problem.code;
    return {
      reason: 'unwritable',
      message: `cannot create files in ${problem.path}: ${why} (${problem.code})`,
      hint: `make ${problem.path} writable by this user (see ls -ld ${problem.path}; chown or chmod it), or point DJC_HOME (or --home) at a writable directory`,
    };
  }
  const sqlite = sqlitePrimaryCode(e);
  if (sqlite === 'SQLITE_NOTADB') {
    return {
      reason: 'not-a-database',
      message: `${dbFile} is not an SQLite database (${errText(e)})`,
      hint: 'point DJC_HOME (or --home) at a djc home directory, or move that file away',
    };
  }
  if (sqlite === 'SQLITE_READONLY' || sqlite === 'SQLITE_CANTOPEN' || sqlite === 'SQLITE_PERM') {
    return {
      reason: 'unwritable',
      message: `cannot write ${dbFile} (or its -wal and -shm files beside it): ${errText(e)}`,
      hint: `make the files of ${home} writable by this user (see ls -l ${home}), or point DJC_HOME (or --home) at another directory`,
    };
  }
  return null;
}

function lockedCause(e: unknown, dbFile: string, doing = 'opening'): Explained | null {
  const busy = isBusyError(e) || (isDjcError(e) && isBusyError(e.cause));
  if (!busy) return null;
  const holders = writeLockHolders(dbFile);
  const who = holders.length === 0
    ? 'another process holds its write lock'
    : `held by ${holders.map((h) => `process ${h.pid}${h.command ? ` (${h.command.slice(0, 120)})` : ''}`).join(', ')}`;
  const kill = holders.length === 0 ? `find it with fuser ${dbFile}` : `kill ${holders.map((h) => h.pid).join(' ')}`;
  return {
    reason: 'locked',
    message: `${dbFile} stayed locked while ${doing}: ${who}`,
    hint: `wait for it to finish and retry; djc holds the lock for milliseconds, so a long hold is a stuck or paused process: stop it (${kill})`,
    holders,
  };
}

/** The error to show for a local backend that did not open at `home`: its cause and fix. */
export function explainOpenError(e: unknown, home: string): DjcError {
  if (isDjcError(e, 'USAGE')) return e;
  // A read-only home (read-only-home.ts) is explained already.
  if (isDjcError(e, 'BACKEND_UNAVAILABLE') && (e.details as { reason?: string } | undefined)?.reason === 'read-only') return e;
  const dbFile = join(home, 'djc.sqlite');
  const explained = driverCause(e) ?? lockedCause(e, dbFile) ?? fileCause(e, home, dbFile);
  if (!explained) {
    const hint = isDjcError(e) && e.hint ? e.hint : 'check that DJC_HOME (or --home) names a directory this user can write';
    return new DjcError('BACKEND_UNAVAILABLE', `cannot open the local backend at ${home}: ${errText(e)}`, {
      cause: e, hint, details: { reason: 'other' },
    });
  }
  const { reason, message, hint, holders } = explained;
  return new DjcError('BACKEND_UNAVAILABLE', `cannot open the local backend at ${home}: ${message}`, {
    cause: e, hint, details: holders ? { reason, holders } : { reason },
  });
}

/**
 * A write that found the write lock held for the whole wait (sqlite-retry's
 * BACKEND_UNAVAILABLE) explained as at open: which process holds it and how
 * to stop it. A read-only open takes no lock, so a command often meets a
 * stuck holder at its first write. Other errors are returned unchanged.
 */
export function explainLockedWrite(e: unknown, home: string): unknown {
  if (!isDjcError(e, 'BACKEND_UNAVAILABLE') || !isBusyError(e.cause)) return e;
  const explained = lockedCause(e, join(home, 'djc.sqlite'), 'writing');
  if (!explained) return e;
  const { reason, message, hint, holders } = explained;
  return new DjcError('BACKEND_UNAVAILABLE', `cannot write to the local backend at ${home}: ${message}`, {
    cause: e, hint, details: holders ? { reason, holders } : { reason },
  });
}
