/**
 * Glossary
 * - job: one run of a job YAML; split into batches.
 * - batch: a byte range of the input holding whole records (see BatchDescriptor).
 * - task: the unit of work that runs one batch; task id = batch index.
 * - attempt: one try of a task by a worker. Attempts are numbered from 1 and
 *   the number is the fencing token of the lease: a write that names an older
 *   attempt loses.
 * - lease: a time-limited claim of a task by one worker, kept alive by heartbeats.
 * - claimed (CLAIMED): a task a worker took ahead of a free slot and holds,
 *   not started yet (claimTasks with `start`). Its attempt number is taken at
 *   the claim, so the holder's lease is fenced like a running one (heartbeat,
 *   releaseTask and completeTasks accept it). It starts with a TaskStart
 *   (CLAIMED → RUNNING, the handler's real start time). If it goes back
 *   instead (releaseTask; reclaimTasks of a dead worker or an expired lease)
 *   it is PENDING again and its attempt number is handed back (attempts - 1):
 *   it never ran, so it is neither counted nor shown, and the next claim
 *   takes the same number. A late write of the old holder still loses: it
 *   names the old holder as owner, or finds the task no longer CLAIMED
 *   (a worker never holds two claims of one task; a held task that waited
 *   past a third of its lease is heartbeated before it starts).
 * - worker: a process that claims tasks and runs the handler.
 * - coordinator: the process that prepares, dispatches, monitors and finalizes jobs.
 * - dispatcher: starts workers (local processes, Slurm array, external).
 *
 * StateStore holds jobs, tasks and the coordinator lock. Every method is
 * atomic. Every task status change and the job's task counters change in
 * the same atomic step, so reading a job never requires scanning its tasks.
 * Every status change goes through the transition table in model/status.ts;
 * a conditional write that does not hold throws ConflictError. Free-text
 * errors (a failed outcome's `error`, a reclaim `reason`, a job patch's
 * `error`) are stored cut to MAX_ERROR_CHARS by `capError`
 * (util/cap-text.ts), so no handler's message can outgrow an item.
 */
import type { JobStatus, TaskStatus } from '../model/status.js';
import type { AttemptUsage, JobRecord, NewJob, OutputKind, RetryRecord, SpeculationCounts, TaskRecord } from '../model/job.js';
import type { JobConfig } from '../config/schema.js';
import type { BatchDescriptor } from '../model/batch.js';
import type { FailureKind } from '../config/schema.js';
import type { ConflictError, DjcError } from '../errors.js';
import type { CacheIndex, TaskCacheEntry } from './cache-index.js';
import type { TokenStore } from './token-store.js';

/** A task to create SUCCEEDED with the output of the earlier task `from` (StateStore.putReusedTasks). */
export interface ReusedTask {
  batch: BatchDescriptor;
  from: TaskCacheEntry;
}

export interface IoOptions {
  signal?: AbortSignal;
}

export interface ClaimRequest {
  /** Worker id that will hold the lease. */
  owner: string;
  leaseMs: number;
  /**
   * Retry budget: the claim fails when attempts - attemptFloor >= maxAttempts
   * (attemptFloor skips attempts before `djc retry` and given-back attempts).
   */
  maxAttempts: number;
  now?: number;
  /**
   * claimTasks: how many tasks start now, counted by position: `taskIds[i]`
   * with i < start is claimed RUNNING, the others CLAIMED (held by the worker
   * to start when a slot frees; a refused id still uses up its position).
   * Default: all of them. claimTask always claims RUNNING.
   */
  start?: number;
}

/** Appended to the reclaim reason of a CLAIMED task (reclaimTasks): it never started, so no attempt is counted. */
export const HELD_REFUND_NOTE = '; the task had not started, so no attempt is counted';

/** Most tasks one claimTasks or completeTasks call takes (a DynamoDB transaction holds at most 100 items). */
export const MAX_TASK_BATCH = 25;

/** What claimTasks says of one task: claimed (its record), or refused (the ConflictError claimTask would throw). */
export type ClaimResult = TaskRecord | ConflictError;

export interface LeaseRef {
  owner: string;
  /** The attempt number returned by claimTask: the fencing token. */
  attempt: number;
}

/**
 * Largest output a SUCCEEDED outcome may carry inline (`inlineOutput`),
 * kept in the task record itself instead of a blob: it saves a blob write
 * per task and a blob read per task at finalize, and keeps a DynamoDB task
 * item far below its 400 KB limit (and its write cost near that of a
 * PutObject: 1 KB write units, doubled in a transaction).
 */
export const MAX_INLINE_OUTPUT_BYTES = 2048;

/** Where a SUCCEEDED attempt's output is: a blob (`outputKey`) or the bytes themselves (`inlineOutput`). */
export type OutputRef =
  | { outputKey: string; inlineOutput?: undefined }
  | {
      /** At most MAX_INLINE_OUTPUT_BYTES; a larger one is refused (DjcError INTERNAL) before anything is written. */
      inlineOutput: Uint8Array;
      outputKey?: undefined;
    };

/**
 * How an attempt ended. `usage`: what it used, as the worker measured it;
 * stored with the task (TaskRecord.usage) and cleared by its next claim.
 */
export type TaskOutcome = { usage?: AttemptUsage } & (
  | ({
      status: 'SUCCEEDED';
      outputKind: OutputKind;
      /** Records the attempt processed (handed to the handler). */
      records: number;
      /** Records of the batch left out as bad (input.on_bad_record skip or dead_letter); 0 if none. */
      bad?: number;
    } & OutputRef)
  | {
      status: 'RETRY_WAIT' | 'FAILED';
      error: string;
      kind: FailureKind;
      exitCode?: number | null;
      /** For RETRY_WAIT: epoch ms before which the task must not run again. */
      notBefore?: number;
    });

/** One attempt to end, for completeTasks. */
export interface TaskCompletion {
  taskId: number;
  lease: LeaseRef;
  outcome: TaskOutcome;
  /**
   * Epoch ms the attempt's handler started, stored as the task's startedAt
   * (a claim stores its own time there). For a task still CLAIMED (its start
   * not written yet) the start and the end are written together: CLAIMED →
   * RUNNING → outcome in this one write. Without it, startedAt is kept, or
   * for a CLAIMED task is the end time.
   */
  startedAt?: number;
  /**
   * The receipt of the message the attempt came with (TaskQueue). Read only
   * by JointOps.completeAndAck and receiveAndClaim's `ends`: a SUCCEEDED end
   * written there acknowledges it in the same write (as TaskQueue.delete:
   * a stale receipt deletes nothing). StateStore.completeTasks ignores it:
   * its caller acknowledges the message itself.
   */
  receipt?: string;
}

/**
 * A held task's handler started, for completeTasks: CLAIMED → RUNNING with
 * `startedAt` (epoch ms), while `lease` holds (LEASE_LOST otherwise, e.g.
 * the task was reclaimed meanwhile: the worker abandons the attempt).
 */
export interface TaskStart {
  taskId: number;
  lease: LeaseRef;
  startedAt: number;
  outcome?: undefined;
}

/** A write of completeTasks: an attempt's end, or a held task's start. */
export type LeaseWrite = TaskCompletion | TaskStart;

/**
 * What completeTasks says of one completion: the task as written, or the
 * DjcError completeTask would throw for it (LEASE_LOST; INTERNAL for an
 * inline output over MAX_INLINE_OUTPUT_BYTES).
 */
export type CompleteResult = TaskRecord | DjcError;

export interface ReclaimRequest {
  /** Reclaim RUNNING and CLAIMED tasks whose lease expired before this epoch ms… */
  expiredBefore?: number;
  /** …or every RUNNING and CLAIMED task held by this worker (it is known to be dead). */
  owner?: string;
  /** Why the attempt ended (recorded as the task error). */
  reason: string;
  maxAttempts: number;
  /** Epoch ms of notBefore for the tasks put in RETRY_WAIT. */
  notBefore: number;
}

export interface JobPatch {
  /** Why the job is WAITING or SKIPPED (null: clear). */
  reason?: string | null;
  startedAt?: string | null;
  endedAt?: string | null;
  error?: string | null;
  outputPath?: string | null;
  cancelRequested?: boolean;
  recordsTotal?: number;
  mode?: JobRecord['mode'];
  coordinator?: JobRecord['coordinator'];
  workers?: JobRecord['workers'];
  /** Speculative copies counted so far (compute.speculate). */
  speculation?: SpeculationCounts;
  /** When the job (re-)entered the scheduler's queue (ISO; null: clear). */
  queuedAt?: string | null;
  /** What the coordinator carries over to the next one (null: clear). */
  coordination?: JobRecord['coordination'];
  /**
   * The config in force and the retry history, written together (`djc
   * retry`). Readers in other processes see both change at once: on the aws
   * backend they live in the job's CONFIG item, which the job item names by
   * a revision, so cached configs are re-read when it changes.
   */
  settings?: { config: JobConfig; retries: RetryRecord[] };
}

/** Options of resetTasks. */
export interface ResetTasksOptions extends IoOptions {
  /** Only these task ids (those of them in the statuses asked for); absent: every task in those statuses. */
  taskIds?: readonly number[];
}

/**
 * Requests to add to a job's counts, by "Service.Operation"
 * (e.g. `{ "DynamoDB.TransactWriteItems": 12, "SQS.ReceiveMessage": 3 }`).
 */
export type RequestCountDelta = Record<string, number>;

export interface CoordinatorInfo {
  owner: string;
  pid: number;
  host: string;
  heartbeatAt: number;
  expiresAt: number;
  /** The lock's term: incremented on every takeover, kept on renewal (0: written before epochs existed). */
  epoch: number;
}

/** What a coordinator asks the lock for: itself, holding it until `expiresAt` (the store sets the epoch). */
export interface LockClaim {
  owner: string;
  pid: number;
  host: string;
  heartbeatAt: number;
  expiresAt: number;
  /** Take the lock over from this holder even though it has not expired (the caller saw it is dead). */
  replacing?: { owner: string; epoch: number };
}

/**
 * Options of the coordinator writes that must happen once (finalize, fail,
 * re-queue, record dispatch). `fence`: the epoch the caller's claim got
 * (claimJob): the write applies only while the job's epoch is still that,
 * in the same atomic step (SQLite: the same transaction; DynamoDB: a
 * condition on the job item, or on the counter update of a task
 * transaction), else FencedError and nothing is written.
 */
export interface FenceOptions extends IoOptions {
  fence?: number;
}

export interface ListJobsOptions extends IoOptions {
  status?: JobStatus;
  limit?: number;
  /**
   * The stage runs of this pipeline, in the order of its runs (StageRef.index),
   * instead of top-level jobs; `status` and `limit` still apply.
   */
  parentId?: string;
}

/** A job's id and creation time: what the job-id indexes hold, read without the job itself. */
export interface JobRef {
  jobId: string;
  createdAt: string;
}

export interface ListJobIdsOptions extends IoOptions {
  /** Only ids that start with this text (case-sensitive, taken literally: no wildcards). */
  idPrefix?: string;
  limit?: number;
}

export interface ListTasksOptions extends IoOptions {
  status?: TaskStatus;
  limit?: number;
  /** Return tasks with taskId > after (paging in batch order). */
  after?: number;
}

/** A succeeded task's committed output, as `listOutputs` gives it: `outputKey` (a blob) or `inlineOutput`, or neither (no output). */
export interface TaskOutputRef {
  taskId: number;
  outputKey: string | null;
  inlineOutput: Uint8Array | null;
  outputKind: OutputKind | null;
}

/** Jobs, tasks, the coordinator lock, the pipeline cache index (cache-index.ts) and API tokens (token-store.ts). */
export interface StateStore extends CacheIndex, TokenStore {
  /** Creates a SUBMITTED job. ConflictError if the id exists. */
  createJob(job: NewJob, opts?: IoOptions): Promise<JobRecord>;
  getJob(jobId: string, opts?: IoOptions): Promise<JobRecord | null>;
  /**
   * Top-level jobs (kind job and pipeline), newest first; with `parentId`,
   * that pipeline's stage runs in run order, read without a scan (SQLite: an
   * index on the parent; DynamoDB: the run ids, which derive from the
   * pipeline's id and its stored graph, read by key).
   */
  listJobs(opts?: ListJobsOptions): Promise<JobRecord[]>;
  /**
   * Creates the jobs that do not exist yet, in the order given, and leaves
   * those that do alone (idempotent: a submit that failed half-way can be
   * written again). Returns how many it created. On SQLite one transaction
   * (all or none); on DynamoDB in chunks, in order, so a caller that lists
   * the parent last never makes a parent visible before its children.
   */
  createJobs(jobs: readonly NewJob[], opts?: IoOptions): Promise<number>;
  /**
   * Ids and creation times of jobs, newest first (the order of listJobs),
   * only those whose id starts with `idPrefix` when it is given. Reads no
   * job record: on SQLite a range of the primary key, on DynamoDB the
   * keys-only `by_created` index (with a prefix, a filtered read of it:
   * cost grows with the number of jobs, never with their tasks). For
   * naming a job by a prefix of its id or by its name; an exact id is a
   * getJob.
   */
  listJobIds(opts?: ListJobIdsOptions): Promise<JobRef[]>;
  /**
   * Moves the job to `to` if its status is one of `from` (and the move is in
   * the transition table), applying `patch` in the same write.
   * ConflictError if the status is not in `from`; DjcError ILLEGAL_TRANSITION
   * if the table forbids it; NOT_FOUND if there is no such job.
   */
  transitionJob(jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatch, opts?: FenceOptions): Promise<JobRecord>;
  /**
   * Applies a patch without a status change. A `coordinator` mark leaves the
   * epoch as it is (only claimJob moves it).
   */
  updateJob(jobId: string, patch: JobPatch, opts?: FenceOptions): Promise<JobRecord>;
  /**
   * A coordinator starts coordinating the job: its coordination epoch goes
   * n → n+1 in one atomic write (SQLite: one UPDATE; DynamoDB: an ADD on the
   * job item), marking it coordinated by `owner` now. Every claimer gets a
   * different epoch; the latest holds the highest. The caller passes the
   * returned `coordinator.epoch` as `fence` on its writes. NOT_FOUND if
   * there is no such job.
   */
  claimJob(jobId: string, owner: string, opts?: IoOptions): Promise<JobRecord>;

  /**
   * Adds `counts` to the job's request counts (JobRecord.requests) in one
   * atomic step: concurrent calls from several processes add up exactly.
   * Not idempotent (a retried call counts twice). Zero and non-integer
   * counts are ignored. A job id that does not exist is not an error: the
   * counts are not visible anywhere (getJob of it stays null).
   */
  addRequestCounts(jobId: string, counts: RequestCountDelta, opts?: IoOptions): Promise<void>;

  /**
   * Inserts PENDING tasks for these batches; a task that already exists is
   * left alone (idempotent, so an interrupted prepare can resume). Counters
   * count only the tasks inserted. Returns the number inserted.
   */
  putTasks(jobId: string, batches: readonly BatchDescriptor[], opts?: IoOptions): Promise<number>;
  /**
   * Inserts tasks SUCCEEDED without running them (per-batch re-use): each
   * with the committed output, records and bad count of `from`, attempts 0,
   * endedAt now and `reusedFrom` naming `from`'s task. A task that already
   * exists is left alone (idempotent). Counters count only the tasks
   * inserted (total, succeeded, records processed and bad). Returns the
   * number inserted.
   */
  putReusedTasks(jobId: string, tasks: readonly ReusedTask[], opts?: IoOptions): Promise<number>;
  getTask(jobId: string, taskId: number, opts?: IoOptions): Promise<TaskRecord | null>;
  /** In task id order. */
  listTasks(jobId: string, opts?: ListTasksOptions): Promise<TaskRecord[]>;
  /**
   * The outputs of the job's SUCCEEDED tasks with taskId > after, in task id
   * order, at most `limit`: what finalize reads, without the rest of each
   * record (its batch above all, parsed per row by listTasks).
   */
  listOutputs(jobId: string, opts?: Omit<ListTasksOptions, 'status'>): Promise<TaskOutputRef[]>;

  /**
   * PENDING|RETRY_WAIT → RUNNING, attempts+1, lease to `owner`, if the job is
   * not cancelled, notBefore has passed and the retry budget allows.
   * claimedAt and startedAt are the claim time (`req.now`, default now).
   * Returns the task with its new attempt number. ConflictError otherwise
   * (details: the task's current status).
   */
  claimTask(jobId: string, taskId: number, req: ClaimRequest, opts?: IoOptions): Promise<TaskRecord>;
  /**
   * Claims several tasks of one job (at most MAX_TASK_BATCH) in ONE atomic
   * write: the tasks claimed and the job's counters change together, as
   * one SQLite transaction or one DynamoDB TransactWriteItems with a single
   * job-counter update. Each task is checked as claimTask checks it and
   * claimed or refused on its own, RUNNING or CLAIMED as `req.start` says
   * (a CLAIMED one has a lease and an attempt number, claimedAt, and
   * startedAt null): result i is the claimed record of
   * `taskIds[i]`, or the ConflictError claimTask would throw for it. A task
   * id listed twice is refused the second time (as RUNNING if the first
   * claimed it), like a duplicate delivery. Rejects only when the backend
   * fails (nothing is claimed then); more than MAX_TASK_BATCH ids is
   * DjcError INTERNAL.
   */
  claimTasks(jobId: string, taskIds: readonly number[], req: ClaimRequest, opts?: IoOptions): Promise<ClaimResult[]>;
  /**
   * Extends the lease if `lease` still holds it (RUNNING or CLAIMED, same
   * owner, same attempt). Returns false if the lease is lost or the job was
   * cancelled: the worker must abandon the attempt.
   */
  heartbeat(jobId: string, taskId: number, lease: LeaseRef, leaseMs: number, opts?: IoOptions): Promise<boolean>;
  /**
   * Ends an attempt: RUNNING → outcome.status, only while `lease` holds (a
   * task still CLAIMED passes through RUNNING in the same write, its
   * startedAt being the end time). A SUCCEEDED outcome adds its records to the job's processed count, and
   * its bad records to the job's bad count, in the same write; its output
   * is stored as given: `outputKey` (inlineOutput null) or `inlineOutput`
   * (outputKey null), readable from the record by getTask and listTasks.
   * Any other outcome clears both.
   * DjcError LEASE_LOST if the lease no longer holds (a newer attempt or a
   * cancel won): the caller discards its output.
   */
  completeTask(jobId: string, taskId: number, lease: LeaseRef, outcome: TaskOutcome, opts?: IoOptions): Promise<TaskRecord>;
  /**
   * Writes the ends of several attempts of one job, and the starts of held
   * tasks (TaskStart: CLAIMED → RUNNING), at most MAX_TASK_BATCH in all, in
   * ONE atomic write, each end as completeTask would (with its startedAt,
   * see TaskCompletion): the tasks whose lease holds and the job's counters
   * change together, as one SQLite transaction or one DynamoDB
   * TransactWriteItems with a single job-counter update. Each write is
   * checked on its own: result i is the record write i left, or the
   * DjcError completeTask would throw for it (LEASE_LOST: the caller
   * discards that output or abandons that attempt), while the others are
   * written. A task listed twice is LEASE_LOST the second time (a start and
   * the end of one attempt go as one TaskCompletion with startedAt). Rejects
   * when the backend fails (nothing is written then); more than
   * MAX_TASK_BATCH is DjcError INTERNAL.
   */
  completeTasks(jobId: string, writes: readonly LeaseWrite[], opts?: IoOptions): Promise<CompleteResult[]>;
  /**
   * Asks for a speculative copy of a straggler: marks the task's speculation
   * `requested` if it is RUNNING attempt `attempt` and has had no copy asked
   * for since that claim. True when marked (the caller then sends a queue
   * message with `copyOf: attempt`); false otherwise (it ended, was
   * reclaimed, or already has one), so at most one copy per attempt.
   */
  requestCopy(jobId: string, taskId: number, attempt: number, opts?: IoOptions): Promise<boolean>;
  /**
   * Starts the copy asked for by requestCopy: while the task is still
   * RUNNING attempt `copyOf` with speculation `requested` (and the job is not
   * cancelled or ended), the copy takes the next attempt number
   * (attempts + 1) and a lease of its own beside the running attempt's
   * (speculation → `running`); the copy costs no retry budget
   * (attemptFloor + 1). Both leases then hold: heartbeat, completeTask,
   * completeTasks and releaseTask accept either. The first SUCCEEDED
   * completion ends the task (speculation `won` if it was the copy's, else
   * `lost`) and the other lease is lost (LEASE_LOST: its output is
   * discarded, its heartbeat fails). A non-SUCCEEDED end or a give-back of
   * one of the two only drops that lease while the other runs (the task
   * stays RUNNING under the other; speculation `lost` if the copy's ended).
   * Returns the task as the copy holds it (attempts = the copy's attempt
   * number, leaseOwner = `req.owner`). ConflictError otherwise.
   */
  claimCopy(jobId: string, taskId: number, copyOf: number, req: ClaimRequest, opts?: IoOptions): Promise<TaskRecord>;
  /**
   * Gives an attempt back (a worker that stops before the attempt ends, or
   * that will not start a task it holds): RUNNING or CLAIMED → PENDING, only
   * while `lease` holds (same guard as completeTask), in one atomic step
   * with the job's counters. The lease is cleared, notBefore is null (the
   * task may run again at once), `error` records `reason`. A RUNNING
   * attempt's endedAt is now and it is refunded: attemptFloor + 1, so the
   * retry budget (attempts - attemptFloor) is as before the claim, while the
   * attempt number is NOT reused (it ran, and its log is kept under it): the
   * next claim takes attempts + 1, so a late write of the given-back attempt
   * still loses. A CLAIMED task never started: its attempt number is handed
   * back (attempts - 1, endedAt left as it was; see the glossary). DjcError
   * LEASE_LOST if the lease no longer holds (the task finished, was
   * reclaimed or cancelled).
   */
  releaseTask(jobId: string, taskId: number, lease: LeaseRef, reason: string, opts?: IoOptions): Promise<TaskRecord>;
  /**
   * Ends the attempts of RUNNING tasks whose worker is gone (lease expired, or
   * owner known dead): → RETRY_WAIT, or FAILED when the retry budget is spent.
   * CLAIMED tasks of such a worker never started: they go back to PENDING
   * with their attempt number handed back (attempts - 1, as releaseTask),
   * notBefore null, error the reason plus HELD_REFUND_NOTE. Returns the
   * tasks changed (the caller re-enqueues them), in task id order. With
   * `fence`: FencedError and nothing changed when another coordinator
   * claimed the job since and some task would change (a call that changes
   * nothing returns [] either way).
   */
  reclaimTasks(jobId: string, req: ReclaimRequest, opts?: FenceOptions): Promise<TaskRecord[]>;
  /**
   * Every non-terminal task (PENDING, CLAIMED, RUNNING, RETRY_WAIT) → CANCELLED. Returns how many changed.
   * With `fence` (as reclaimTasks): FencedError, nothing changed, when the claim was superseded and a task would change.
   */
  cancelTasks(jobId: string, opts?: FenceOptions): Promise<number>;
  /**
   * For `djc retry`: tasks in `statuses` (FAILED, CANCELLED) → PENDING with a
   * fresh retry budget (attemptFloor = attempts), counters moved in the same
   * write as each task. With `opts.taskIds`, only those of them; ids that
   * are not in `statuses` (or not in the job) are left alone. Returns the
   * tasks reset, in id order.
   */
  resetTasks(jobId: string, statuses: readonly TaskStatus[], opts?: ResetTasksOptions): Promise<TaskRecord[]>;

  /**
   * Reserves the next start of a rate-limited job (`handler.rate_limit`):
   * GCRA without burst, one stored "theoretical arrival time" (TAT) per job.
   * The slot given is max(TAT, now) and the TAT moves to slot + intervalMs,
   * in one atomic conditional write, so callers in any number of processes
   * get slots at least `intervalMs` apart, in the order they asked. Returns
   * the slot (epoch ms, >= now): the caller waits until then, then starts.
   * A reserved slot that is not used is lost (never handed out twice).
   * `now` is the caller's clock (default Date.now()).
   */
  reserveRateSlot(jobId: string, intervalMs: number, now?: number, opts?: IoOptions): Promise<number>;

  /**
   * Takes or renews the coordinator lock for `claim.owner` until
   * `claim.expiresAt`. Returns false if another owner holds an unexpired
   * lock (unless `claim.replacing` names that holder and its epoch). Taking
   * it from another owner (or a free one) increments the epoch; renewing
   * keeps it.
   */
  acquireCoordinatorLock(claim: LockClaim, opts?: IoOptions): Promise<boolean>;
  /**
   * Extends the lock to `info.expiresAt` only if `info.owner` still holds it
   * at `info.epoch`; false otherwise (it was taken over: stop coordinating).
   */
  renewCoordinatorLock(info: CoordinatorInfo, opts?: IoOptions): Promise<boolean>;
  /** The current lock holder, expired or released or not; null if there never was one. */
  getCoordinatorLock(opts?: IoOptions): Promise<CoordinatorInfo | null>;
  /** Expires the lock now if `owner` holds it (its epoch is kept, so the next holder's is higher); otherwise does nothing. */
  releaseCoordinatorLock(owner: string, opts?: IoOptions): Promise<void>;

  close(): Promise<void>;
}
