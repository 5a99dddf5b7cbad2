/**
 * Messages between the module runner (main thread) and a pooled handler
 * thread. `id` names the attempt, so a late message from an attempt that was
 * already given up on is recognised and ignored.
 */
import type { AttemptUsage, BatchDescriptor, OutputKind } from '@djc/core';
import type { InputSpec } from './types.js';

export interface RunMessage {
  type: 'run';
  id: number;
  /** "/abs/file.ts#export". */
  ref: string;
  batch: BatchDescriptor;
  /**
   * How to read the batch. Left out when it is the same object as the last
   * run posted to this thread carried (pooled-thread.ts): the thread then
   * uses the one it last received, as runs arrive in the order they were
   * posted. A job's attempts share one (run-attempt.ts), so it crosses once
   * per thread and job, not per attempt (~20 fewer values to clone).
   */
  input?: InputSpec;
  jobId: string;
  taskId: number;
  attempt: number;
  /** The attempt span's W3C traceparent (tracing on), for `ctx.traceparent`. */
  traceparent?: string;
}

export interface AbortMessage {
  type: 'abort';
  id: number;
  reason: string;
}

/** Runs posted while the thread was busy, in order: it runs them one at a time, as if posted one by one. */
export interface RunsMessage {
  type: 'runs';
  runs: RunMessage[];
}

export type ToThread = RunMessage | RunsMessage | AbortMessage;

export interface LogMessage {
  type: 'log';
  id: number;
  /** Whole formatted lines, newline included. */
  text: string;
}

export interface ProgressMessage {
  type: 'progress';
  id: number;
  done: number;
}

export interface DoneMessage {
  type: 'done';
  id: number;
  result: ThreadResult;
  /** What the attempt used, as the thread measured it (thread-usage.ts). */
  usage: AttemptUsage;
  /** How long the attempt took in the thread, ms (whether it is quick: thread-pool.ts). */
  ms: number;
  /**
   * Of `ms`, how long the thread's event loop sat idle: the attempt awaited
   * something outside the thread (I/O, a timer). Time another thread could
   * overlap, where CPU time (or being descheduled) could not.
   */
  idleMs: number;
  /** When the thread started the attempt (epoch ms): the true start of one that waited in the thread's queue. */
  startedAt: number;
  /** An exception escaped into the thread's event loop: discard the thread rather than reuse it (it starts no queued attempt after this). */
  retire?: boolean;
}

/** A stray error of an attempt that already reported (`id`), or of none (null): the main thread logs it against its task. */
export interface StrayMessage {
  type: 'stray';
  id: number | null;
  error: string;
}

/** The thread has started and listens for attempts (sent once, first). */
export interface ReadyMessage {
  type: 'ready';
}

export type FromThread = LogMessage | ProgressMessage | DoneMessage | StrayMessage | ReadyMessage;

export type ThreadResult =
  | { ok: true; kind: OutputKind; data: string | Uint8Array; records: number; bad: number; deadLetters: string | null }
  | { ok: false; error: string; retryable: boolean };
