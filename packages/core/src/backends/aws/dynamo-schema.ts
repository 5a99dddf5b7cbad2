/**
 * The DynamoDB single-table design behind DynamoStateStore.
 *
 * One table, key `pk` (S, partition) + `sk` (S, sort). Every item carries
 * `v` (the item schema version, 1) and is parsed on read (dynamo-items.ts).
 *
 * | item              | pk                  | sk                        | notes |
 * | ----------------- | ------------------- | ------------------------- | ----- |
 * | job               | `JOB#<jobId>`       | `JOB`                     | status, patchable fields, task counters, `version`; small and hot |
 * | job config        | `JOB#<jobId>`       | `CONFIG`                  | the resolved config as a JSON string; written once, never updated |
 * | job requests      | `JOB#<jobId>`       | `REQUESTS`                | `req_<Service.Operation>` counters, ADDed by flushes (dynamo-request-counts.ts) |
 * | task              | `JOB#<jobId>`       | `TASK#<taskId, 10 digits>`| the batch descriptor as a JSON string; lease, attempts, outcome |
 * | rate slots        | `JOB#<jobId>`       | `THROTTLE`                | `tat`: a rate-limited job's next free start slot, epoch ms (dynamo-rate-slots.ts); sorts after every TASK# key, so job and task reads never see it |
 * | coordinator lock  | `COORDINATOR`       | `LOCK`                    | owner, pid, host, heartbeat_at, lock_expires_at |
 * | cache entry       | `CACHE#<key>`       | `ENTRY`                   | a succeeded stage run by cache key (dynamo-cache-index.ts) |
 * | stage history     | `CACHESTAGE#<pipeline>#<stage>` | `<createdAt>#<key>` | a copy of each live cache entry: the newest of a stage is a Limit-1 Query |
 * | task cache entry  | `TASKCACHE#<taskKey>` | `<batchSha256>`         | a re-usable task output (per-batch re-use), read by BatchGetItem |
 * | API token         | `TOKENS`            | `TOKEN#<id>`              | scope, sha256 of the token, created, `token_expires_at`, last used, revoked (dynamo-token-store.ts); never TTL-deleted |
 * | live token name   | `TOKENNAME#<name>`  | `TOKEN`                   | id of the live token with that name (unique names) |
 *
 * Tasks live in their job's partition, so a Query on `pk` with
 * `sk BETWEEN TASK#<from> AND TASK#9999999999` pages them in task order, and
 * `sk BETWEEN CONFIG AND REQUESTS` reads a job, its config and its request
 * counts in one request (CONFIG < JOB < REQUESTS < TASK#).
 *
 * Why the config is its own item: every task transition updates the job item
 * (counters), and DynamoDB bills a write by the item's size (1 WCU per KB, x2
 * in a transaction) and caps one item at ~1,000 WCU/s. Keeping the up-to-300
 * KB config out of the hot item keeps each counter move at 1 KB. The config
 * is immutable, so stores cache it per job id.
 *
 * Global secondary indexes (all keys S):
 * - `by_status` (gsi1pk = `STATUS#<status>`, gsi1sk = `<createdAt>#<jobId>`),
 *   job items only, KEYS_ONLY: listJobs by status, newest first
 *   (ScanIndexForward false).
 * - `by_created` (gsi2pk = `JOBS`, gsi2sk = `<createdAt>#<jobId>`), job items
 *   only, KEYS_ONLY: every job newest first. One constant partition key is
 *   fine because job volume is small (a few jobs a minute at most); tasks
 *   never enter this index.
 * - `running` (gsi3pk = `RUNNING#<jobId>`, gsi3sk = lease expiry, epoch ms
 *   zero-padded to 15 digits), projection ALL, sparse: a task carries these
 *   two attributes ONLY while a worker holds its lease, RUNNING or CLAIMED
 *   (they are REMOVEd on every move to another status). reclaimTasks queries
 *   `gsi3sk < <cut-off>` (by expiry) or the job's few leased tasks (by
 *   owner) — never all tasks of a job. (The name predates CLAIMED.)
 * KEYS_ONLY keeps counter updates from rewriting index copies; listJobs then
 * re-reads the job items with a consistent BatchGetItem (and drops any whose
 * status moved since the eventually consistent index saw it).
 *
 * Consistency and atomicity:
 * - getJob, getTask, listTasks and the reads before a conditional write use
 *   ConsistentRead. Index reads are eventually consistent; every candidate
 *   found through an index is re-checked by the conditional write.
 * - A task status change and its job's counters change in ONE
 *   TransactWriteItems: [Update task with a ConditionExpression pinning the
 *   state that was read (status, attempts, attempt_floor; lease owner +
 *   attempt for heartbeat/complete), Update job with ADD on the counters and
 *   `version`]. Claims also require the job to be neither cancel_requested
 *   nor terminal. Failed conditions come back as CancellationReasons with the
 *   item's current image (ReturnValuesOnConditionCheckFailure ALL_OLD), from
 *   which the ConflictError details are built.
 * - putTasks writes chunks of up to 99 conditional Puts
 *   (`attribute_not_exists(pk)`) + 1 counter ADD per transaction; tasks that
 *   already exist are found first with a key-only Query and skipped, and a
 *   task inserted by a racing writer cancels the chunk, which is retried
 *   without it — so a task is never overwritten and counters stay exact.
 * - Transactions that touch the same job item at the same instant can be
 *   cancelled with `TransactionConflict` on AWS; those are retried with
 *   jittered backoff (dynamo-request.ts). DynamoDB Local serialises them.
 *
 * TTL: ensureTable enables TTL on `expires_at` (epoch seconds), and the
 * store sets it to "ended + retention" (DJC_RETENTION_DAYS, default 30; 0:
 * never) in the writes that already happen, never in extra requests per task:
 * - a task: in the write that moves it to SUCCEEDED, FAILED or CANCELLED
 *   (from its `ended_at`); every other status change (claim, retry wait,
 *   `djc retry` back to PENDING) REMOVEs it, so a live task never expires.
 * - the job, its CONFIG and its REQUESTS item: in the transition to a
 *   terminal status, one TransactWriteItems with the job's conditional
 *   update (from the patch's `endedAt`); the re-opening by `djc retry`
 *   (terminal → RUNNING) REMOVEs it from the three in the same way.
 * - `djc retry` also renews finished tasks it does not re-run (SUCCEEDED)
 *   whose expiry is less than half the retention away, so a retried job's
 *   outputs outlive its re-run (dynamo-bulk-ops.ts).
 * A job that runs longer than the retention can lose tasks that finished
 * early: the retention must exceed the longest job (docs/operations.md).
 * TTL deletes within days of the expiry, and expired items may be read until
 * then. The lock's expiry is a different attribute (`lock_expires_at`, epoch
 * ms), so TTL never deletes it.
 */

import { DjcError } from '../../errors.js';

/** Item schema version stored in attribute `v` of every item. */
export const ITEM_VERSION = 1;

export const INDEX = {
  byStatus: 'by_status',
  byCreated: 'by_created',
  running: 'running',
} as const;

/** The TTL attribute (epoch seconds) enabled by ensureTable. */
export const TTL_ATTRIBUTE = 'expires_at';

/**
 * `expires_at` of an item that ended at `endedAt` (ISO; now when absent or
 * unreadable): its epoch second + the retention; null when retention is off.
 */
export function expiryOf(endedAt: string | null | undefined, retentionSeconds: number): number | null {
  if (retentionSeconds <= 0) return null;
  const t = endedAt ? Date.parse(endedAt) : Number.NaN;
  return Math.floor((Number.isNaN(t) ? Date.now() : t) / 1000) + retentionSeconds;
}

/** Largest task id the 10-digit sort key can hold. */
export const MAX_TASK_ID = 9_999_999_999;

/** Largest job config (JSON bytes) stored; DynamoDB's item limit is 400 KB. */
export const MAX_CONFIG_BYTES = 300 * 1024;

/** Items per TransactWriteItems: DynamoDB's limit is 100, one slot is the job counter update. */
export const TX_TASKS = 99;

export interface ItemKey {
  pk: string;
  sk: string;
  [attr: string]: string;
}

export function jobPk(jobId: string): string {
  return `JOB#${jobId}`;
}

export function jobKey(jobId: string): ItemKey {
  return { pk: jobPk(jobId), sk: 'JOB' };
}

export function configKey(jobId: string): ItemKey {
  return { pk: jobPk(jobId), sk: 'CONFIG' };
}

export function requestsKey(jobId: string): ItemKey {
  return { pk: jobPk(jobId), sk: 'REQUESTS' };
}

export function rateKey(jobId: string): ItemKey {
  return { pk: jobPk(jobId), sk: 'THROTTLE' };
}

export function taskSk(taskId: number): string {
  return `TASK#${String(taskId).padStart(10, '0')}`;
}

export function taskKey(jobId: string, taskId: number): ItemKey {
  return { pk: jobPk(jobId), sk: taskSk(taskId) };
}

export const LOCK_KEY: ItemKey = { pk: 'COORDINATOR', sk: 'LOCK' };

export function statusPk(status: string): string {
  return `STATUS#${status}`;
}

/** Sort key of both job indexes: ISO time sorts as text; the id breaks ties. */
export function createdSk(createdAt: string, jobId: string): string {
  return `${createdAt}#${jobId}`;
}

export const ALL_JOBS_PK = 'JOBS';

export function runningPk(jobId: string): string {
  return `RUNNING#${jobId}`;
}

/** Lease expiry as a sortable string (epoch ms, 15 digits; negatives clamp to 0). */
export function expirySk(epochMs: number): string {
  return String(Math.max(0, Math.trunc(epochMs))).padStart(15, '0');
}

/** True if `taskId` fits the sort key. */
export function isTaskId(taskId: number): boolean {
  return Number.isInteger(taskId) && taskId >= 0 && taskId <= MAX_TASK_ID;
}

/** Throws USAGE unless `table` is a valid DynamoDB table name (3–255 of a-z A-Z 0-9 _ - .). */
export function checkTableName(table: string): void {
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
    throw new DjcError('USAGE', `"${table}" is not a valid DynamoDB table name (3 to 255 characters: a-z, A-Z, 0-9, _, -, .)`, {
      hint: 'set DJC_TABLE (or --table) to a valid name',
    });
  }
}
