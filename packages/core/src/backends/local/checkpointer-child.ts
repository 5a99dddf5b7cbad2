/**
 * The checkpointer as a child process (checkpointer-process.ts starts it):
 * what checkpointer-thread.ts does, in a process of its own, so the
 * coordinator's RSS holds no second V8 isolate (a thread put the daemon's
 * 1M prepare over 150 MiB) and its fsyncs are not the coordinator's.
 *
 * One per database file: it first takes `<file>-checkpointer.pid` (created
 * exclusively; a file naming a live checkpointer child makes it wait, one
 * naming a dead process is taken over), so a daemon restarted while its
 * killed predecessor's child is still finishing a look never runs two.
 * It stops when the stop file appears (stop()), or when its parent is gone
 * (its parent pid changes: the coordinator was killed, even by SIGKILL),
 * at the next look (<= idleTickMs), after a last TRUNCATE (best effort).
 * Messages to the parent: JSON lines on stdout ({ready}, {error}, {stats}).
 */
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { runCheckpoints, type CheckpointSettings } from './checkpoint-loop.js';
import { openSqlite, type SqliteDriverName } from './sqlite-driver.js';
import { WalIndexReader } from './wal-index.js';

export interface CheckpointerChildData {
  file: string;
  driver: SqliteDriverName;
  betterSqlite3Dir?: string;
  settings: CheckpointSettings;
  /** Its appearance asks the child to stop. */
  stopFile: string;
  parentPid: number;
}

/** Part of the child's command line (its entry's file name): how a waiting child tells a live checkpointer from a reused pid. */
const CHILD_MARK = 'checkpointer-child';

const data = JSON.parse(process.argv[2] ?? '{}') as CheckpointerChildData;
const send = (m: object) => {
  try {
    writeSync(1, `${JSON.stringify(m)}\n`);
  } catch {
    // The parent is gone: nobody reads.
  }
};
const nap = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => { Atomics.wait(nap, 0, 0, ms); };

/** The parent pid now (process.ppid is the one at start-up): /proc on Linux, else whether the parent still answers. */
function parentAlive(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === data.parentPid;
  } catch {
    try {
      process.kill(data.parentPid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

const stopped = () => !parentAlive() || existsSync(data.stopFile);

/** Whether `pid` is a live checkpointer child (not a process that reused a dead one's pid). */
function liveCheckpointer(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(CHILD_MARK);
  } catch {
    // No /proc: a live process of that pid is taken for one.
    return true;
  }
}

const lockFile = `${data.file}-checkpointer.pid`;

/** Takes the file's checkpointer lock; false if stopped while waiting for another child. */
function lock(): boolean {
  for (;;) {
    if (stopped()) return false;
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(lockFile, 'utf8'));
    } catch {
      continue;
    }
    if (liveCheckpointer(holder)) {
      sleep(100);
      continue;
    }
    try {
      // A dead holder's file (or one being written: it is retried if so).
      if (Number(readFileSync(lockFile, 'utf8')) === holder) unlinkSync(lockFile);
    } catch {
      // Gone already.
    }
    sleep(10);
  }
}

function unlock(): void {
  try {
    if (Number(readFileSync(lockFile, 'utf8')) === process.pid) unlinkSync(lockFile);
  } catch {
    // Gone already.
  }
}

if (lock()) {
  try {
    const { db } = openSqlite(data.file, { driver: data.driver, betterSqlite3Dir: data.betterSqlite3Dir });
    try {
      // Its page cache is never read twice: a checkpoint copies WAL frames straight into the file.
      db.pragma('cache_size = -256');
      db.pragma('wal_autocheckpoint = 0');
      send({ ready: true, pid: process.pid });
      const walIndex = new WalIndexReader(`${data.file}-shm`);
      const stats = runCheckpoints(db, data.settings, {
        frames: () => walIndex.read(),
        stopped,
        sleep,
        onError: (e) => send({ error: e instanceof Error ? e.message : String(e) }),
      });
      walIndex.close();
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // The next checkpoint (any connection's) does it.
      }
      send({ stats });
    } finally {
      db.close();
    }
  } catch (e) {
    send({ error: e instanceof Error ? e.message : String(e) });
  } finally {
    unlock();
  }
}
