/**
 * Handler runners run ONE attempt of a task's handler on its batch and say
 * how it ended. They never touch the backend: the worker loop claims the
 * task, stores what a runner returns, and decides about retries.
 *
 * Glossary: a *batch* is a byte range of an input file holding whole records;
 * a *task* runs one batch; an *attempt* is one run of a task, numbered from 1.
 */
import type { AttemptUsage, BadRecordPolicy, BatchDescriptor, FailureKind, JobConfig, OutputKind, ReadOptions } from '@djc/core';
import type { LogBuffer } from './log-buffer.js';

/** How the batch is read: the job's `input.format`, `input.csv` and `input.on_bad_record`. */
export interface InputSpec extends ReadOptions {
  onBadRecord: BadRecordPolicy;
}

export interface AttemptSpec {
  jobId: string;
  taskId: number;
  /** 1-based attempt number (the lease's fencing token). */
  attempt: number;
  batch: BatchDescriptor;
  input: InputSpec;
  /** `{ module?: "/abs/file.ts#export", command?: string, io, env }`; exactly one of module/command. */
  handler: JobConfig['handler'];
  /** Working directory of command handlers: the job YAML's directory. */
  baseDir: string;
  /** The attempt fails with `timeout` after this long (compute.timeout). */
  timeoutMs: number;
  /** Heap limit of module handlers (compute.memory); the runner's default if unset. */
  memoryBytes?: number;
  /** What memoryBytes comes from, named in an out_of_memory error (default "compute.memory"). */
  memorySource?: string;
  /** Memory limit of a command handler's processes (RLIMIT_DATA each), and what it comes from; none if unset. */
  commandMemory?: { bytes: number; source: string };
  /** A scratch directory the runner may use; it may not exist yet (create it before writing into it); the caller deletes it afterwards. */
  tmpDir: string;
  /** Aborted when the attempt must stop (job cancelled, lease lost, worker shutting down). */
  signal: AbortSignal;
  /**
   * Where the attempt's log goes (the result's `log` is its text at the end);
   * the caller may read it while the attempt runs. A new one if unset.
   */
  log?: LogBuffer;
  /** Called when a module handler reports progress with `ctx.progress(done)`. */
  onProgress?: (done: number) => void;
  /**
   * The W3C `traceparent` of the attempt's span, when tracing is on: a
   * command handler gets it as $TRACEPARENT, a module handler as `ctx.traceparent`.
   */
  traceparent?: string;
  /**
   * Called when the attempt's turn comes (its handler starts), with the
   * time: a module attempt handed to a busy thread ahead of its turn
   * (HandlerRunner.canQueue) waits in the thread's queue until then.
   */
  onTurn?: (at: number) => void;
  /**
   * Handed to the runner ahead of its turn (HandlerRunner.canQueue): a
   * command attempt starts once the command before it has exited (the
   * spawner holds it); its timeout counts from that start, and if its
   * signal aborts first it is dropped without starting. Module attempts
   * wait in their thread's queue either way.
   */
  queued?: boolean;
}

/** Small outputs come back in memory; a large command stdout is streamed to a file in `tmpDir`. */
export type AttemptOutput = { type: 'buffer'; data: Buffer } | { type: 'file'; path: string };

export type AttemptResult = AttemptSuccess | AttemptFailure;

export interface AttemptSuccess {
  ok: true;
  kind: OutputKind;
  output: AttemptOutput;
  /** Records the handler was given (bad records not included). */
  records: number;
  /** Records left out as bad (input.on_bad_record skip or dead_letter). */
  bad: number;
  /** With on_bad_record dead_letter and bad records: one JSON line per bad record (a DeadLetter); else null. */
  deadLetters: AttemptOutput | null;
  /** The attempt's log text (handler log lines, command stderr), capped. */
  log: string;
  /** What the attempt used (CPU time, peak memory), when the runner could measure it. */
  usage?: AttemptUsage;
  /** When the handler started, as its thread saw it (epoch ms; module handlers). */
  startedAt?: number;
  /** True when the runner put nothing in `tmpDir` and named it to nothing that could (its caller need not look for it). */
  scratchUnused?: boolean;
}

export interface AttemptFailure {
  ok: false;
  failure: FailureKind;
  /** One line for `djc tasks`: what happened and, where it helps, which setting. */
  error: string;
  /** A command's exit code; null when killed by a signal or for module handlers. */
  exitCode: number | null;
  /**
   * False when another attempt cannot help (missing module or export, an
   * unreadable batch, a handler error marked `retryable: false`). The worker
   * loop still applies `retry.retry_on` and `non_retryable_exit_codes`.
   */
  retryable: boolean;
  log: string;
  /** What the attempt used, when the runner could measure it (not for a thread that was terminated). */
  usage?: AttemptUsage;
  /** When the handler started, as its thread saw it (epoch ms; module handlers that reported). */
  startedAt?: number;
  /**
   * A queued attempt (AttemptSpec.queued) stopped before its turn: its
   * command never started (or was stopped as it started, the drop on its
   * way). The worker gives it back, no attempt counted.
   */
  notStarted?: boolean;
}

/** Runs attempts. One per worker process; safe to call `run` concurrently up to its slots. */
export interface HandlerRunner {
  /** Runs one attempt. Never rejects: every way an attempt ends is an `AttemptResult`. */
  run(spec: AttemptSpec): Promise<AttemptResult>;
  /**
   * Starts what the attempts of a module handler need (its threads, heap
   * limit from `memoryBytes`) before the first one comes: a worker waiting
   * for its job's first task does it. A no-op for commands.
   */
  prewarm(handler: { module?: string }, memoryBytes?: number): void;
  /**
   * May one more attempt of this handler be run now ahead of its turn: it
   * would wait in the queue of a busy handler thread whose attempts are
   * measured quick, behind at most `behind` attempts queued after the one
   * running (its `onTurn` says when it starts)? For commands: the spawner
   * runs a quick command with at most `behind` queued after it (AttemptSpec.queued).
   * False for threads and commands that are slow, starting, or not busy.
   */
  canQueue(handler: { module?: string; command?: string }, memoryBytes: number | undefined, behind: number): boolean;
  /** Stops every thread and child process; attempts still running end as `signal` failures. */
  close(): Promise<void>;
}
