import type { BackendName } from '../model/job.js';
import type { BlobStore } from './blob-store.js';
import type { JobPruner } from './job-pruner.js';
import type { JointOps } from './joint-ops.js';
import type { StateStore } from './state-store.js';
import type { TaskQueue } from './task-queue.js';

/** The three ports of one backend, built together by an entry point. */
export interface Backend {
  name: BackendName;
  /**
   * Where this backend's state is, for messages ("no job X in <location>"):
   * the local home directory, or the AWS table.
   */
  location: string;
  /**
   * How often a coordinator should poll job state: reads of a local file are
   * cheap, each DynamoDB read is a billed request.
   */
  monitorIntervalMs: number;
  /**
   * On a backend whose reads cost nothing (the local SQLite file): how often a
   * coordinator looks at a job record while the job's last tasks run (none
   * queued), so it finalizes the job as soon as the last one commits instead
   * of at its next monitor tick. Absent: only the monitor tick (DynamoDB).
   */
  watchIntervalMs?: number;
  state: StateStore;
  blobs: BlobStore;
  queue: TaskQueue;
  /**
   * Queue and state writes in one transaction (joint-ops.ts), where one
   * store holds both (local). Absent on AWS: callers make the separate calls.
   */
  joint?: JointOps;
  /** Environment a worker process needs to reach the same backend. */
  workerEnv(): Record<string, string>;
  /**
   * Writes the request counts this process gathered per job since the last
   * flush (StateStore.addRequestCounts). The backend also flushes every few
   * seconds and in close(); absent (or a no-op) when the backend makes no
   * billable requests.
   */
  flushRequestCounts?(): Promise<void>;
  /**
   * Every billable request this process made since the backend opened, by
   * "Service.Operation" (e.g. "SQS.ReceiveMessage"), SDK retries included;
   * live and never reset (a Prometheus counter). Absent when the backend
   * makes no billable requests (local).
   */
  requestTotals?(): Readonly<Record<string, number>>;
  /**
   * Removes ended jobs for good (`djc prune`): the local backend. Absent on
   * the AWS backend, which expires ended jobs itself (DynamoDB TTL, S3
   * lifecycle rule).
   */
  pruner?: JobPruner;
  /**
   * Starts this process's upkeep of the backend's files while it
   * coordinates (local, when asked: checkpoints of the SQLite WAL in a
   * thread, so no commit on the coordinator's or a worker's connection pays
   * for one; checkpointer.ts). Calls nest: the upkeep runs until every returned stop
   * was called, or close(). Absent where there is none (AWS).
   */
  startUpkeep?(): () => Promise<void>;
  /** Flushes request counts (if any), then releases clients and handles. */
  close(opts?: CloseOptions): Promise<void>;
}

export interface CloseOptions {
  /**
   * The process exits right after (a CLI command): what its exit releases
   * anyway may be left to it. Local: the SQLite connection is left open, so
   * the checkpoint SQLite runs when the last connection to a file closes
   * (copying the whole WAL into the file and syncing both: 100-500 ms at
   * the end of a `djc run` of thousands of tasks) is skipped. Every commit
   * is already in the WAL; the next process to open the file reads it
   * there, and the next commit past wal_autocheckpoint copies it (db.ts).
   */
  exiting?: boolean;
}
