/**
 * The one seam between the commands and where jobs live: the local backend
 * (LocalJobService, opened by the CLI itself) or a coordinator's HTTP API
 * (RemoteJobService, when DJC_URL is set). Both answer with the same
 * documents (@djc/coordinator's builders, which the API's routes call
 * too), so a command prints the same text, `--json` and exit code either way.
 */
import type { ConfigIssue, JobRecord, JobStatusDocument, TaskDocument, TaskStatus, JobStatus } from '@djc/core';
import type { FailureReport, JobDocument, QueueDocument, WhyDocument, WorkerInvocation, jobListDocument } from '@djc/coordinator';
import type { Readable } from 'node:stream';
import type { WatchEnd } from './watch-job.js';

export type JobListDoc = Awaited<ReturnType<typeof jobListDocument>>;

export interface SubmitRequest {
  set?: string[];
  after?: string;
  afterAny?: boolean;
  fresh?: boolean;
  priority?: string;
}

export interface SubmitOutcome {
  answer: { jobId: string; status: string; reason?: string | null };
  warnings: readonly ConfigIssue[];
  /** dispatcher: external: how to start its workers. */
  worker: (WorkerInvocation & { command: string }) | null;
  /** False when no coordinator runs for the backend (local only: a remote one answered). */
  coordinatorAlive: boolean;
  /** The backend's name (local, aws), for the warning when no coordinator runs. */
  backendName: string;
}

export interface StatusView {
  /** The record as the text formatters read it (remote: rebuilt from the document). */
  job: JobRecord;
  doc: JobDocument;
  /** A pipeline's stage runs. */
  runs: JobRecord[];
  failures?: FailureReport;
  /** Why a QUEUED job waits (the coordinator's queue document). */
  queued?: string;
}

export interface ResultView {
  doc: { jobId: string; taskId?: number; status: string; output: { path: string } };
  /** The content: bytes kept in the task record, or a stream. */
  open(): Promise<Uint8Array | Readable>;
}

export interface QueueView {
  queue: QueueDocument | null;
  ageMs: number | null;
  stale: boolean;
  /** Where the queue document was read, for messages. */
  where: string;
}

export interface JobService {
  readonly remote: boolean;
  /** Where the jobs are, for messages: the home or backend location, or DJC_URL. */
  readonly where: string;
  submit(file: string, o: SubmitRequest): Promise<SubmitOutcome>;
  status(ref: string | undefined, o?: { details?: boolean }): Promise<StatusView>;
  list(o: { status?: JobStatus; limit: number }): Promise<JobListDoc>;
  tasks(ref: string | undefined, o: { status?: TaskStatus; limit?: number }): Promise<{ jobId: string; tasks: TaskDocument[] }>;
  /** Until the job ends, `timeoutMs` passes or `signal` aborts; `onJob` sees each state read. */
  watch(jobId: string, o: { everyMs: number; timeoutMs?: number; signal?: AbortSignal; onJob?: (job: JobRecord) => void }): Promise<WatchEnd>;
  cancel(ref: string): Promise<{ doc: JobStatusDocument; runs: { jobId: string; status: string }[] | null }>;
  pause(ref: string, resume: boolean): Promise<PauseView>;
  priority(ref: string, priority: string): Promise<PriorityView>;
  queue(): Promise<QueueView>;
  results(ref: string | undefined, o: { task?: number; stage?: string }): Promise<ResultView>;
  failures(ref: string | undefined): Promise<FailureReport>;
  /** Why each unfinished task is not running now (`--why`; whyDocument). */
  why(ref: string | undefined, o: { limit?: number }): Promise<WhyDocument>;
  close(): Promise<void>;
}

/** `djc pause/resume --json` (pauseDocument); `mode` tells whether a resumed job waits for the daemon. */
export type PauseView = JobStatusDocument & { runs?: { jobId: string; status: string }[]; daemonWaits: boolean };

/** `djc priority --json` (priorityDocument). */
export interface PriorityView { jobId: string; status: string; priority: string | number; previous: string | number; jobsChanged: number }
