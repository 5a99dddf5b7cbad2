/**
 * The types a handler or reducer author writes against. The cli package
 * (`djc`) re-exports them, so a TypeScript handler can say
 * `import type { HandlerContext } from 'djc'`. The worker builds a
 * HandlerContext for every batch and the coordinator a ReducerContext, typed
 * by these, so they cannot drift from what handlers get.
 */

/** Log lines (console.log-like arguments); a handler's go to its attempt's log (`djc logs JOB --task N`). */
export interface HandlerLog {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** The second argument of a module handler: `async (records, ctx) => output`. */
export interface HandlerContext {
  jobId: string;
  /** The task id, which is the batch index. */
  taskId: number;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  batch: {
    index: number;
    /** Records handed to the handler (bad records left out). */
    records: number;
    /** The batch's first record's 0-based place in the job; null when the input is split by bytes (not counted before). */
    firstRecord: number | null;
  };
  log: HandlerLog;
  /** Aborted when the attempt must stop: timeout, cancel, lost lease, worker shutdown. */
  signal: AbortSignal;
  /** Reports progress: how many of the batch's records are done. */
  progress(done: number): void;
  /**
   * The W3C Trace Context `traceparent` of this attempt's span
   * ("00-<trace id>-<span id>-01"), when tracing is on
   * (OTEL_EXPORTER_OTLP_ENDPOINT set); undefined otherwise. Pass it on to
   * make the handler's own spans children of the attempt.
   */
  traceparent?: string;
}

/**
 * A module handler. Its return value is the batch output: an array → one
 * JSON line per element; a string, Buffer or Uint8Array → as is; undefined
 * → nothing; anything else → one JSON line.
 */
export type Handler<R = unknown, O = unknown> = (records: R[], ctx: HandlerContext) => O | Promise<O>;

/** The second argument of a reducer (`output.reduce`). */
export interface ReducerContext {
  jobId: string;
  log: HandlerLog;
}

/** A reducer: folds the batch outputs, in batch order, into the job result (same encoding as a handler's output). */
export type Reducer<O = unknown, R = unknown> = (outputs: AsyncIterable<O>, ctx: ReducerContext) => R | Promise<R>;
