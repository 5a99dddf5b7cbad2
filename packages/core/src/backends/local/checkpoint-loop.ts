/**
 * What the checkpointer thread (checkpointer.ts) does with its own
 * connection to the local backend's file, apart from the thread so a test
 * can drive it. Every `busyTickMs` it looks at the WAL's frame counts
 * (wal-index.ts: a read of the -shm header, no lock): once `checkpointFrames`
 * frames wait to be copied, a PASSIVE checkpoint copies them into the
 * database without taking a lock any writer or reader waits for (each
 * checkpoint syncs the WAL and the file, so not at every look). When the WAL
 * has grown past `restartFrames` anyway (commits kept coming while it
 * copied, so SQLite could not start it over), a RESTART follows the PASSIVE
 * that caught up with every frame: it takes the write lock if free, copies
 * what was committed since (little or nothing), and finds no reader in the
 * WAL, else gives up until the next look (busy_timeout `lockWaitMs`, 0:
 * holding the write lock while waiting for readers made workers spin on it,
 * +25% CPU per task at concurrency 10); the next commit then starts the WAL
 * over. After `idleTicks`
 * looks with no new frame, a TRUNCATE copies what is left and empties the
 * -wal file. Where the -shm header cannot be read, PRAGMA data_version
 * stands in: a PASSIVE at every look that follows a commit.
 */
import type { SqliteDb } from './sqlite-driver.js';
import type { WalFrames } from './wal-index.js';

export interface CheckpointSettings {
  /** Pause between two looks while frames come in. */
  busyTickMs: number;
  /** Pause between two looks while none do. */
  idleTickMs: number;
  /** Frames not yet in the database that make a look checkpoint (PASSIVE). */
  checkpointFrames: number;
  /** WAL frames after which a RESTART follows the PASSIVE. */
  restartFrames: number;
  /** Looks with no new frame before the -wal file is truncated. */
  idleTicks: number;
  /** busy_timeout of the thread's connection: the longest a RESTART or TRUNCATE waits for the write lock, then for readers. */
  lockWaitMs: number;
}

export const CHECKPOINT_SETTINGS: CheckpointSettings = {
  busyTickMs: 25,
  idleTickMs: 250,
  checkpointFrames: 4000,
  restartFrames: 8192,
  idleTicks: 8,
  lockWaitMs: 0,
};

/** What the loop did, for tests and the thread's last message. */
export interface CheckpointStats {
  passive: number;
  restart: number;
  truncate: number;
  /** The most frames the WAL held at a PASSIVE. */
  maxFrames: number;
  errors: number;
}

type Mode = 'PASSIVE' | 'RESTART' | 'TRUNCATE';

/** `PRAGMA wal_checkpoint(mode)`: busy is 1 when a RESTART/TRUNCATE could not finish; log and checkpointed in frames. */
function checkpoint(db: SqliteDb, mode: Mode): { busy: number; log: number; checkpointed: number } {
  const rows = db.pragma(`wal_checkpoint(${mode})`) as Array<{ busy: number; log: number; checkpointed: number }>;
  return rows[0] ?? { busy: 1, log: 0, checkpointed: 0 };
}

export interface CheckpointIo {
  /** The WAL's counts now (wal-index.ts); null where they cannot be read. */
  frames(): WalFrames | null;
  stopped(): boolean;
  /** Returns early when stop is asked. */
  sleep(ms: number): void;
  onError(e: unknown): void;
}

/**
 * Runs until `io.stopped()`. Errors (an I/O error, a full disk) are counted
 * and passed to `onError`; the loop carries on: the connections' own
 * autocheckpoint (db.ts, checkpointer.ts) still bounds the WAL meanwhile.
 */
export function runCheckpoints(db: SqliteDb, s: CheckpointSettings, io: CheckpointIo): CheckpointStats {
  const stats: CheckpointStats = { passive: 0, restart: 0, truncate: 0, maxFrames: 0, errors: 0 };
  db.pragma(`busy_timeout = ${s.lockWaitMs}`);
  let version: unknown = null;
  let last = -1;
  let quiet = 0;
  while (!io.stopped()) {
    let pause = s.busyTickMs;
    try {
      const w = io.frames();
      let waiting: number;
      let frames: number;
      if (w) {
        frames = w.frames;
        // A WAL started over since the look before: all its frames wait.
        waiting = w.backfilled > w.frames ? w.frames : w.frames - w.backfilled;
      } else {
        const now = db.pragma('data_version', { simple: true });
        frames = now === version ? last : last + 1;
        waiting = now === version ? 0 : Infinity;
        version = now;
      }
      const moved = frames !== last;
      last = frames;
      if (waiting >= s.checkpointFrames) {
        const r = checkpoint(db, 'PASSIVE');
        stats.passive++;
        stats.maxFrames = Math.max(stats.maxFrames, r.log);
        if (r.log >= s.restartFrames && r.checkpointed === r.log) {
          checkpoint(db, 'RESTART');
          stats.restart++;
        }
        quiet = 0;
      } else if (moved) {
        quiet = 0;
      } else if (frames > 0 && ++quiet >= s.idleTicks) {
        checkpoint(db, 'TRUNCATE');
        stats.truncate++;
        quiet = 0;
        last = -1;
      } else if (frames === 0 || w === null) {
        pause = s.idleTickMs;
      }
    } catch (e) {
      stats.errors++;
      io.onError(e);
      pause = s.idleTickMs;
    }
    io.sleep(pause);
  }
  return stats;
}
