/**
 * Checkpoints of the local backend's WAL off the busy connections. SQLite
 * runs a checkpoint (copying the WAL's pages into the database, then
 * syncing) inside the COMMIT of whichever connection's commit crosses
 * wal_autocheckpoint: a coordinator's event loop while it prepares a job
 * (~3.3 s of a 1,000,000-task prepare), or a worker's main thread between
 * two groups of tasks. While a coordinator runs (with DJC_WAL_CHECKPOINTER=on,
 * or createLocalBackend's `checkpointer` option), this thread does them
 * instead (checkpoint-loop.ts), on its own connection, and the coordinator's
 * connection checkpoints only past COORDINATOR_BACKSTOP_PAGES. Workers keep
 * db.ts's WAL_AUTOCHECKPOINT_PAGES: with the thread running their WAL never
 * gets there; without a coordinator (djc-worker alone) it bounds the WAL
 * as before.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { CHECKPOINT_SETTINGS, type CheckpointSettings, type CheckpointStats } from './checkpoint-loop.js';
import { WAL_AUTOCHECKPOINT_PAGES, type Db } from './db.js';
import type { SqliteDriverName } from './sqlite-driver.js';

/**
 * The coordinator connection's own autocheckpoint while the thread runs: a
 * bound if the thread falls behind (starved of CPU), far enough not to be
 * reached while it keeps up.
 */
export const COORDINATOR_BACKSTOP_PAGES = 4 * WAL_AUTOCHECKPOINT_PAGES;

export interface CheckpointerOptions {
  file: string;
  /** The connection of this process: its autocheckpoint moves to the backstop while the thread runs. */
  db: Db;
  driver: SqliteDriverName;
  betterSqlite3Dir?: string;
  settings?: Partial<CheckpointSettings>;
  /** A checkpoint failed (the loop carries on) or the thread ended on an error. */
  onError?: (message: string) => void;
}

export interface Checkpointer {
  /** Resolves once the thread has its connection and checkpoints (or has ended). */
  ready: Promise<void>;
  /** Stops the thread (after a last TRUNCATE, best effort); its stats, null if it had already ended. */
  stop(): Promise<CheckpointStats | null>;
}

export function startCheckpointer(o: CheckpointerOptions): Checkpointer {
  const stopCell = new SharedArrayBuffer(4);
  const entry = threadEntry();
  const settings = { ...CHECKPOINT_SETTINGS, ...o.settings };
  const worker = new Worker(entry.filename, {
    ...entry.options,
    workerData: { file: o.file, driver: o.driver, betterSqlite3Dir: o.betterSqlite3Dir, settings, stop: stopCell },
    // A few MiB of heap: it holds one connection and a loop.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    stdout: false,
    stderr: false,
  });
  // An exiting process does not wait for it: a checkpoint cut short is safe (the WAL stays the truth).
  worker.unref();
  const link = checkpointerLink(o);
  worker.on('message', (m: CheckpointerMessage) => link.message(m));
  worker.on('error', (e) => o.onError?.(e.message));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => {
    link.ended();
    resolve();
  }));
  return {
    ready: link.ready,
    stop: async () => {
      // Waited for now: the last TRUNCATE and close.
      worker.ref();
      Atomics.store(new Int32Array(stopCell), 0, 1);
      Atomics.notify(new Int32Array(stopCell), 0);
      await exited;
      return link.stats();
    },
  };
}

/** What a checkpointer (thread or child process) tells its coordinator. */
export interface CheckpointerMessage {
  ready?: true;
  stats?: CheckpointStats;
  error?: string;
}

/**
 * The coordinator's side of a checkpointer, thread or child process: its
 * connection checkpoints only as a backstop while the checkpointer runs, and
 * again at WAL_AUTOCHECKPOINT_PAGES once it has ended; `ready` resolves at
 * the checkpointer's first message of readiness, or at its end.
 */
export function checkpointerLink(o: CheckpointerOptions) {
  let stats: CheckpointStats | null = null;
  let started!: () => void;
  const ready = new Promise<void>((resolve) => { started = resolve; });
  o.db.pragma(`wal_autocheckpoint = ${COORDINATOR_BACKSTOP_PAGES}`);
  return {
    ready,
    stats: () => stats,
    message(m: CheckpointerMessage): void {
      if (m.ready) started();
      if (m.stats) stats = m.stats;
      if (m.error) o.onError?.(m.error);
    },
    ended(): void {
      if (o.db.open) o.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      started();
    },
  };
}

/**
 * Built (dist, and the CLI bundle, whose import.meta.url names the dist
 * file): checkpointer-thread.js next to this file. From TypeScript sources
 * (vitest): a bootstrap that registers tsx in the thread first.
 */
function threadEntry(): { filename: string | URL; options: WorkerOptions } {
  if (!import.meta.url.endsWith('.ts')) return { filename: new URL('./checkpointer-thread.js', import.meta.url), options: {} };
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const tsxApi = pathToFileURL(join(dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./checkpointer-thread.ts', import.meta.url).href;
  return { filename: `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, options: { eval: true } };
}
