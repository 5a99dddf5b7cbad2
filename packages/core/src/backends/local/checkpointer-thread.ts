/**
 * The checkpointer thread's entry (checkpointer.ts starts it): opens its own
 * connection to the file with the process's driver, with no autocheckpoint
 * of its own, runs checkpoint-loop.ts until the parent sets the stop cell,
 * then tries a last TRUNCATE (best effort), closes, and posts its stats.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runCheckpoints, type CheckpointSettings } from './checkpoint-loop.js';
import { openSqlite, type SqliteDriverName } from './sqlite-driver.js';
import { WalIndexReader } from './wal-index.js';

interface ThreadData {
  file: string;
  driver: SqliteDriverName;
  betterSqlite3Dir?: string;
  settings: CheckpointSettings;
  /** Int32Array cell 0: 0 while running, 1 once stop is asked (with Atomics.notify). */
  stop: SharedArrayBuffer;
}

const data = workerData as ThreadData;
const cell = new Int32Array(data.stop);
const { db } = openSqlite(data.file, { driver: data.driver, betterSqlite3Dir: data.betterSqlite3Dir });
try {
  // Its page cache is never read twice: a checkpoint copies WAL frames straight into the file.
  db.pragma('cache_size = -256');
  db.pragma('wal_autocheckpoint = 0');
  parentPort?.postMessage({ ready: true });
  const walIndex = new WalIndexReader(`${data.file}-shm`);
  const stats = runCheckpoints(db, data.settings, {
    frames: () => walIndex.read(),
    stopped: () => Atomics.load(cell, 0) !== 0,
    sleep: (ms) => { Atomics.wait(cell, 0, 0, ms); },
    onError: (e) => parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  });
  walIndex.close();
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // The next checkpoint (any connection's) does it.
  }
  parentPort?.postMessage({ stats });
} finally {
  db.close();
}
