/**
 * Which processes hold the write lock of a SQLite file, from /proc/locks
 * (Linux; elsewhere: none known). SQLite takes POSIX locks: in WAL mode the
 * writer holds a WRITE lock on byte 120 of `<file>-shm` (WAL_WRITE_LOCK);
 * in rollback mode, WRITE locks on the database file itself.
 */
import { readFileSync, statSync } from 'node:fs';

export interface LockHolder {
  pid: number;
  /** Its command line, space-separated (empty if unreadable). */
  command: string;
}

const WAL_WRITE_LOCK_BYTE = 120;

function inodeOf(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** Lock lines: "1: POSIX  ADVISORY  WRITE 1234 fe:00:2212753 120 120" (waiters have "->" after the id). */
function writeLocks(text: string): { pid: number; inode: number; start: number; end: number }[] {
  const out = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '->' || f[1] !== 'POSIX' || f[3] !== 'WRITE') continue;
    const inode = Number(f[5]?.split(':')[2]);
    const end = f[7] === 'EOF' ? Number.MAX_SAFE_INTEGER : Number(f[7]);
    out.push({ pid: Number(f[4]), inode, start: Number(f[6]), end });
  }
  return out;
}

/** Other processes holding a write lock on `dbFile` (or its WAL index), best effort. */
export function writeLockHolders(dbFile: string): LockHolder[] {
  let text: string;
  try {
    text = readFileSync('/proc/locks', 'utf8');
  } catch {
    return [];
  }
  const db = inodeOf(dbFile);
  const shm = inodeOf(`${dbFile}-shm`);
  const pids = new Set<number>();
  for (const l of writeLocks(text)) {
    if (l.pid === process.pid || !(l.pid > 0)) continue;
    const onShm = shm !== null && l.inode === shm && l.start <= WAL_WRITE_LOCK_BYTE && WAL_WRITE_LOCK_BYTE <= l.end;
    if (onShm || (db !== null && l.inode === db)) pids.add(l.pid);
  }
  return [...pids].sort((a, b) => a - b).map((pid) => ({ pid, command: commandOf(pid) }));
}
