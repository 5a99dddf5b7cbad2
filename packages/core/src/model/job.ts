import type { JobConfig } from '../config/schema.js';
import type { JobStatus, TaskStatus } from './status.js';
import type { BatchDescriptor } from './batch.js';
import type { PipelineGraph, Point } from '../pipeline/types.js';

export type BackendName = 'local' | 'aws';

/** Task counts by status, kept on the job record in the same transaction as each task change. */
export interface TaskCounts {
  total: number;
  pending: number;
  /** Taken ahead by a worker and waiting there for a free slot (not started: see TaskStatus CLAIMED). */
  claimed: number;
  running: number;
  retrying: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

export const TASK_COUNT_KEY: Record<TaskStatus, keyof TaskCounts> = {
  PENDING: 'pending',
  CLAIMED: 'claimed',
  RUNNING: 'running',
  RETRY_WAIT: 'retrying',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

export function emptyCounts(): TaskCounts {
  return { total: 0, pending: 0, claimed: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 };
}

export interface RecordCounts {
  total: number;
  processed: number;
  bad: number;
}

/** job: one run of a job file; pipeline: a submitted pipeline; stage: one run of one of its stages (parentId: the pipeline). */
export type JobKind = 'job' | 'pipeline' | 'stage';

/** Dependencies of a `djc submit --after` job (Slurm's afterok / afterany). */
export interface AfterDependency {
  jobIds: string[];
  mode: 'ok' | 'any';
}

/** Which run of which stage a stage record is. */
export interface StageRef {
  /** The stage's name under `stages:`. */
  name: string;
  /** The run's matrix values; null for a stage without a matrix. */
  point: Point | null;
  /** Upstream stage names. */
  needs: readonly string[];
  /** Position of the run in the pipeline's `runs` (listJobs({ parentId }) returns runs in this order). */
  index: number;
  /**
   * `input: { from: X, each: batch }` (N to N) from a stage X of one run:
   * that run's job id. The run starts while X runs and gets task i when X's
   * task i succeeds (its batch is that task's output). Absent otherwise.
   */
  streamFrom?: string;
}

/** Who coordinates a job: the `djc run` process that created it, or the daemon. */
export type CoordinationMode = 'run' | 'daemon';

export interface JobRecord {
  jobId: string;
  name: string;
  status: JobStatus;
  kind: JobKind;
  /** The pipeline of a stage run; null for the others. */
  parentId: string | null;
  /** Set on kind `stage` only. */
  stage: StageRef | null;
  /**
   * Set on kind `pipeline` only: its stages and runs. A pipeline's `config`
   * is the config of its first run (so code that reads any record's config
   * keeps working); it runs nothing itself.
   */
  pipeline: PipelineGraph | null;
  /** Why the job is WAITING or SKIPPED ("waiting for clean (RUNNING 40%)", "clean FAILED"); null otherwise. */
  reason: string | null;
  /** `djc submit --after`: the jobs this one waits for, and whether they must succeed ('ok') or only end ('any'); null otherwise. */
  after: AfterDependency | null;
  /** Who submitted it (the OS user name; '' on records written before owners): fair share and quotas count by it. */
  owner: string;
  /**
   * When it last entered the scheduler's queue (ISO): its submit time, or
   * when it was preempted to zero workers or resumed. The age term of its
   * priority counts from here; null: never queued.
   */
  queuedAt: string | null;
  backend: BackendName;
  /**
   * Validated config; every path in it is absolute. The config in force: the
   * submitted one with the `--set` changes of every `djc retry` applied (see
   * `retries`).
   */
  config: JobConfig;
  /** The YAML file the job came from (absolute). */
  configPath: string;
  mode: CoordinationMode;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
  tasks: TaskCounts;
  records: RecordCounts;
  /** Where the result was written (absolute path), or the blob key when output.path is unset. */
  outputPath: string | null;
  /** Set by `djc cancel`; the job ends CANCELLED. */
  cancelRequested: boolean;
  /** The process coordinating the job and when it last said so; null before any did. */
  coordinator: CoordinatorMark | null;
  /** The job's workers as its dispatcher last reported them; null before any were dispatched. */
  workers: WorkersRecord | null;
  /** Bumped on every write; optimistic concurrency for patches. */
  version: number;
  /**
   * Backend requests made on behalf of this job so far, by "Service.Operation"
   * (e.g. "DynamoDB.TransactWriteItems"), as flushed by the processes that
   * made them (every ~5 s and at exit). `{}` when none (always, on the local
   * backend). getJob and listJobs fill it; records returned by writes
   * (transitionJob, updateJob) may carry `{}` on the aws backend, which keeps
   * the counts on their own item.
   */
  requests: Record<string, number>;
  /** Every `djc retry` of the job, oldest first (at most MAX_RETRY_RECORDS); [] before the first. */
  retries: RetryRecord[];
  /** Speculative copies of stragglers (compute.speculate) so far; absent before the first. */
  speculation?: SpeculationCounts;
  /** What its coordinators carry over to the next one (a takeover, a restart); null before any wrote it. */
  coordination: CoordinationState | null;
}

/**
 * State a coordinator keeps on the job record, not in memory, so the next
 * coordinator (after a failover, `djc retry`, a restart) continues it.
 */
export interface CoordinationState {
  /** Epoch ms of the worker deaths within the latest window (compute.max_worker_deaths.per), oldest first. */
  workerDeaths: number[];
  /** Epoch ms of the workers that exited with an error since the job last finished a task (absent: none). */
  workerCrashes?: number[];
}

/**
 * Speculative copies of a job's stragglers, as its coordinator counted them:
 * `copies` asked for (at most one per task attempt), `won` of them committed
 * before the attempt they copied.
 */
export interface SpeculationCounts {
  copies: number;
  won: number;
}

/** The retry history keeps this many records (the latest); the config keeps every change. */
export const MAX_RETRY_RECORDS = 20;

/** One `djc retry`: when, which tasks it re-ran, and which settings it changed. */
export interface RetryRecord {
  /** ISO time of the retry. */
  at: string;
  /** How many tasks were reset and re-run. */
  taskCount: number;
  /** Their ids as a list of ids and ranges ("3,7-9"), cut with "…" past ~200 characters. */
  tasks: string;
  /** FAILED or CANCELLED tasks the retry left as they were (not chosen by --task / --error). */
  notRetried: number;
  /** How the tasks were chosen: `--task` and `--error` as given (absent: every failed and cancelled task). */
  selection: { task?: string; error?: string };
  /** The settings changed (`--set`), in the order given. */
  changes: ConfigChange[];
}

/** One setting changed by `djc retry --set`. */
export interface ConfigChange {
  /** Dotted YAML path, e.g. "compute.timeout". */
  key: string;
  /** The value as written after "=" ("30s"). */
  value: string;
  /** The validated value before and after (durations in ms, sizes in bytes; unset reads as null). */
  from: unknown;
  to: unknown;
  /** Set when from/to are a duration (ms) or a size (bytes). */
  unit?: 'duration' | 'size';
}

export type DispatcherName = 'local' | 'slurm' | 'external';

/**
 * A snapshot of a job's workers, written by the coordinator when it changes
 * (so `djc status` in any process shows it without asking Slurm). Small by
 * construction: workers are grouped, and only the latest failures are kept.
 */
export interface WorkersRecord {
  dispatcher: DispatcherName;
  /** Slurm: every array job id submitted for the job, the first array first. */
  slurmJobIds: string[];
  /** Workers by state and reason, e.g. `{ state: 'PENDING', reason: 'Resources', count: 2 }`. */
  groups: WorkerGroup[];
  /** Workers that ended with a failure, latest last (at most MAX_WORKER_FAILURES). */
  failures: WorkerFailure[];
  /** One line for humans, e.g. "slurm array 123: 2 running, 2 pending (Resources)". */
  summary: string;
  updatedAt: string;
  /**
   * The workers the scheduler granted, each with what it holds and when it
   * started and stopped (latest MAX_WORKER_ALLOCATIONS); absent where the
   * dispatcher does not track them.
   */
  allocations?: WorkerAllocation[];
}

/** A job's WorkersRecord keeps this many allocations (the latest). */
export const MAX_WORKER_ALLOCATIONS = 200;

/** One worker's hold on a pool, as the dispatcher records it (fair share, utilisation, the never-exceed test). */
export interface WorkerAllocation {
  workerId: string;
  cpus: number;
  memoryBytes: number;
  gpus: number;
  /** Local pool: the CPU ids it is pinned to and the GPU ids it sees (empty when not pinned). */
  cpuIds: number[];
  gpuIds: number[];
  /** ISO times. endedAt null while it runs. */
  startedAt: string;
  endedAt: string | null;
  /** Local workers: the host and pid of its process, so a reader on that host can tell a killed one (observed-workers.ts). */
  host?: string;
  pid?: number;
  /** Set by a reader, never stored: endedAt is null but its process is gone (killed while no coordinator watched). */
  gone?: true;
}

export const MAX_WORKER_FAILURES = 20;

export interface WorkerGroup {
  /** RUNNING, PENDING, COMPLETED, FAILED, … (Slurm's job states; local workers are RUNNING or FAILED). */
  state: string;
  /** Slurm's reason (Resources, Priority, NonZeroExitCode, …), or null. */
  reason: string | null;
  count: number;
}

export interface WorkerFailure {
  /** The worker id, e.g. "slurm:123_4". */
  worker: string;
  /** e.g. "FAILED (NonZeroExitCode, exit 1): cannot open /x" */
  reason: string;
  at: string;
}

export interface CoordinatorMark {
  /** e.g. "djc run on node1 (pid 4242)". */
  owner: string;
  /** Epoch ms of the owner's last heartbeat on this job. */
  seenAt: number;
  /**
   * The job's coordination epoch: +1 on every claim (StateStore.claimJob), so
   * the coordinator that claimed last holds the highest one. Writes made
   * with an older one are fenced off (FencedError). 0 (or absent, on marks
   * written by older versions) before any claim.
   */
  epoch?: number;
}

export interface NewJob {
  jobId: string;
  name: string;
  backend: BackendName;
  config: JobConfig;
  configPath: string;
  mode: CoordinationMode;
  /** SUBMITTED (default), or WAITING for its dependencies (then with a `reason`). */
  status?: 'SUBMITTED' | 'WAITING';
  /** Default 'job'. */
  kind?: JobKind;
  parentId?: string | null;
  stage?: StageRef | null;
  pipeline?: PipelineGraph | null;
  reason?: string | null;
  after?: AfterDependency | null;
  /** Who submits it (default ''). A pipeline's stage runs carry the pipeline's owner. */
  owner?: string;
}

export interface TaskRecord {
  jobId: string;
  taskId: number;
  status: TaskStatus;
  /** Attempts started so far. The attempt number is the fencing token of a lease. */
  attempts: number;
  /**
   * Attempts that do not count against the retry budget: those before the
   * last `djc retry`, plus every attempt a stopping worker gave back
   * (releaseTask). The budget used is `attempts - attemptFloor`.
   */
  attemptFloor: number;
  batch: BatchDescriptor;
  leaseOwner: string | null;
  /** Epoch ms. */
  leaseExpiresAt: number | null;
  /** Epoch ms before which a RETRY_WAIT task must not start. */
  notBefore: number | null;
  /** Worker id of the latest attempt. */
  worker: string | null;
  error: string | null;
  exitCode: number | null;
  /** Blob key of the committed output (of the winning attempt); null when it is inline or there is none. */
  outputKey: string | null;
  /**
   * The committed output itself, when it was small enough to be kept in the
   * task record (MAX_INLINE_OUTPUT_BYTES); then outputKey is null.
   */
  inlineOutput: Uint8Array | null;
  /** Kind of output: how a reducer gets it back. */
  outputKind: OutputKind | null;
  /**
   * Records the winning attempt processed, as it committed them (set when the
   * task SUCCEEDED, else null). The only count of a batch split by bytes.
   */
  records: number | null;
  /** Bad records the winning attempt left out (on_bad_record skip or dead_letter); null unless SUCCEEDED. */
  bad: number | null;
  /** When the latest attempt was claimed (ISO): the start of its lease. */
  claimedAt: string | null;
  /**
   * When the latest attempt's handler started (ISO), as the worker measured
   * it: null while the task is CLAIMED. A claim that starts at once stores
   * the claim time; the attempt's completion replaces it with the handler's
   * start.
   */
  startedAt: string | null;
  /** When the latest attempt ended (ISO), or was given back. */
  endedAt: string | null;
  /**
   * Per-batch re-use (pipelines): the task was created SUCCEEDED with the
   * committed output of this earlier task, whose batch had the same content
   * (sha256) and task key; it never ran (attempts 0). Absent otherwise.
   */
  reusedFrom?: { jobId: string; taskId: number };
  /** What the latest ended attempt used (CPU time, peak memory), as its worker measured it; absent when not measured. */
  usage?: AttemptUsage;
  /**
   * A speculative copy of the running attempt (compute.speculate):
   * `requested` (the coordinator asked for one), `running` (a second worker
   * runs it beside the first), `won` (the copy committed first), `lost`
   * (the first attempt committed first, or the copy ended without a
   * result). Absent when none was asked for since the latest claim.
   */
  speculation?: SpeculationState;
  /**
   * While a speculative copy runs beside the attempt it copied: the
   * attempt number of the lease holder (`attempts` is then the copy's) and
   * the copy's own lease. Absent otherwise.
   */
  leaseAttempt?: number;
  copy?: CopyLease;
}

/** The lease of a speculative copy (StateStore.claimCopy). */
export interface CopyLease {
  owner: string;
  attempt: number;
  leaseExpiresAt: number;
}

export type SpeculationState = 'requested' | 'running' | 'won' | 'lost';

/**
 * What one attempt used, as the worker measured it. `scope` says of what:
 * - `thread`: a module handler's thread. cpuMs is the thread's own CPU time
 *   (process.threadCpuUsage); peakMemoryBytes the largest V8 heap in use
 *   (used heap + external memory) of the thread's isolate, sampled during
 *   the attempt and at its end: not RSS, which threads share. Garbage an
 *   earlier attempt on the same (pooled) thread left uncollected counts too.
 * - `process`: a module handler on a Node.js without process.threadCpuUsage:
 *   cpuMs is the whole worker process's CPU time during the attempt (every
 *   thread), an upper bound; peakMemoryBytes as for `thread`.
 * - `process-group`: a command handler's process group, sampled from /proc
 *   while it runs (Linux; cpuMs 0 and the memory of the shell elsewhere):
 *   cpuMs is the user + system time of its live members (with the children
 *   they reaped) at the last sample, so up to one sampling period before the
 *   end is not counted; peakMemoryBytes the largest of the members' summed
 *   RSS at a sample and any one member's own peak (VmHWM).
 */
export interface AttemptUsage {
  /** CPU time, user + system, in milliseconds. */
  cpuMs: number;
  /** Peak memory in bytes (see `scope`). */
  peakMemoryBytes: number;
  scope: 'thread' | 'process' | 'process-group';
}

/** json-lines: the handler returned an array; json: an object; raw: a string, Buffer, or command stdout. */
export type OutputKind = 'json-lines' | 'json' | 'raw';
