/**
 * Runs module handlers (`handler.module: /abs/file.ts#name`) on a pool of
 * worker threads. The main side owns the clock: a timeout terminates the
 * thread (a synchronous busy loop included), an abort asks the handler to
 * stop through `ctx.signal` and terminates the thread if it has not returned
 * within a grace period. Heap exhaustion kills only the thread
 * (`resourceLimits`), never the worker process.
 */
import { availableParallelism } from 'node:os';
import { createLogger, formatDuration, type Logger } from '@djc/core/worker';
import { formatLogLine, LogBuffer } from './log-buffer.js';
import { failed, reasonText, timerDelay } from './results.js';
import type { DoneMessage, RunMessage, StrayMessage } from './thread-protocol.js';
import { ThreadPool, type PooledThread, type ThreadListener } from './thread-pool.js';
import type { AttemptResult, AttemptSpec } from './types.js';

const MiB = 1024 * 1024;
/** Heap limit of a handler thread when compute.memory is unset. */
export const DEFAULT_HEAP_BYTES = 2048 * MiB;
/** How long an aborted handler has to return before its thread is terminated. */
export const ABORT_GRACE_MS = 2000;
/** How long to wait for a terminated thread to report its exit. */
const TERMINATE_WAIT_MS = 5000;
/** Between samples of a running attempt's heap (a V8 interrupt in the thread, cheap). */
const HEAP_SAMPLE_MS = 250;

export interface ModuleRunner {
  run(spec: AttemptSpec, signal: AbortSignal): Promise<AttemptResult>;
  /** Starts the pool's threads now (heap limit from `memoryBytes`), before the first attempt. */
  prewarm(memoryBytes?: number): void;
  /** HandlerRunner.canQueue for module attempts with this heap limit. */
  canQueue(memoryBytes: number | undefined, behind: number): boolean;
  close(): Promise<void>;
}

/** Attempts remembered after they ended, to name the task of a stray error that arrives later. */
const RECENT_ATTEMPTS = 1000;

/**
 * `log` (default: a JSON logger on stderr, the worker's log) receives the
 * stray errors of attempts that had already ended, with their task.
 */
export function createModuleRunner(opts: { slots: number; memoryBytes?: number; log?: Logger; quickThreads?: number }): ModuleRunner {
  const log = opts.log ?? createLogger({ name: 'djc-worker' });
  const recent = new Map<number, Pick<AttemptSpec, 'jobId' | 'taskId' | 'attempt'>>();
  const onStray = (msg: StrayMessage) => {
    const owner = msg.id === null ? undefined : recent.get(msg.id);
    if (owner) log.warn({ ...owner, error: msg.error }, 'a module handler attempt that had already ended left a stray error (logged against it; the attempt running now is not affected)');
    else log.warn({ error: msg.error }, 'a module handler left a stray error that belongs to no attempt (e.g. from the module\'s top level)');
  };
  const pool = new ThreadPool(Math.max(1, opts.slots), onStray, quickThreads(opts.quickThreads));
  let nextId = 1;
  const limitOf = (memoryBytes: number | undefined) => Math.max(16, Math.ceil((memoryBytes ?? opts.memoryBytes ?? DEFAULT_HEAP_BYTES) / MiB));
  return {
    async run(spec, signal) {
      const thread = await pool.acquire(limitOf(spec.memoryBytes), signal);
      if (!thread) return failed('signal', `attempt aborted: ${reasonText(signal.reason)}`, '');
      const id = nextId++;
      recent.set(id, { jobId: spec.jobId, taskId: spec.taskId, attempt: spec.attempt });
      if (recent.size > RECENT_ATTEMPTS) recent.delete(recent.keys().next().value as number);
      return new ModuleAttempt(pool, thread, spec, signal, id).run();
    },
    // One thread: the pool grows when its threads are the limit, or queues quick attempts on it (thread-pool.ts).
    prewarm(memoryBytes) {
      pool.prewarm(limitOf(memoryBytes));
    },
    canQueue: (memoryBytes, behind) => pool.canQueue(limitOf(memoryBytes), behind),
    close: () => pool.close(),
  };
}

type Kill = { failure: 'timeout' | 'signal'; error: string };

/**
 * One attempt on one thread: wires messages, the timeout and the abort
 * signal together. It may wait its turn in the thread's queue
 * (thread-pool.ts): its clock (timeout, abort grace, heap samples) runs
 * from its turn, so time spent queued (or a new thread's start) never
 * counts against it. If the
 * thread ends because of an attempt ahead of it, it runs again on another
 * thread, under the same claim (no attempt counted).
 */
class ModuleAttempt implements ThreadListener {
  private readonly log: LogBuffer;
  private readonly timers: NodeJS.Timeout[] = [];
  private resolve: (r: AttemptResult) => void = () => undefined;
  private aborting: string | null = null;
  private killing: Kill | null = null;
  private settled = false;
  /** Its turn on its thread has come (its clock runs). */
  private turn = false;
  /** The largest heap in use the main thread's samples saw (thread-usage.ts). */
  private sampledHeap = 0;

  constructor(
    private readonly pool: ThreadPool,
    private thread: PooledThread,
    private readonly spec: AttemptSpec,
    private readonly signal: AbortSignal,
    readonly id: number,
  ) {
    this.log = spec.log ?? new LogBuffer();
  }

  run(): Promise<AttemptResult> {
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.signal.addEventListener('abort', this.onAbort, { once: true });
      this.thread.attach(this, this.runMessage());
      if (this.signal.aborted) this.onAbort();
    });
  }

  private runMessage(): RunMessage {
    const { spec } = this;
    return {
      type: 'run', id: this.id, ref: spec.handler.module as string, batch: spec.batch, input: spec.input,
      jobId: spec.jobId, taskId: spec.taskId, attempt: spec.attempt,
      ...(spec.traceparent ? { traceparent: spec.traceparent } : {}),
    };
  }

  onHead(): void {
    if (this.settled || this.turn) return;
    this.turn = true;
    this.spec.onTurn?.(Date.now());
    const timeout = `timed out after ${formatDuration(this.spec.timeoutMs)} (compute.timeout)`;
    this.timers.push(setTimeout(() => this.kill({ failure: 'timeout', error: timeout }), timerDelay(this.spec.timeoutMs)));
    this.timers.push(this.sampleHeap());
    if (this.aborting !== null) this.armAbortGrace();
  }

  onMessage(msg: Parameters<ThreadListener['onMessage']>[0]): void {
    if (msg.id !== this.id || this.settled) return;
    if (msg.type === 'log') this.log.append(msg.text);
    else if (msg.type === 'progress') this.spec.onProgress?.(msg.done);
    else if (msg.type === 'done') this.onDone(msg);
  }

  onExit(code: number, error: Error | undefined): void {
    if (this.killing) return this.finish(failed(this.killing.failure, this.killing.error, this.log.toString()));
    if (this.aborting !== null) return this.finish(this.abortedResult());
    this.finish(this.crashResult(code, error));
  }

  /** Its thread ended because of an attempt ahead of it: run again on another thread (the same claim, no attempt counted). */
  onOrphaned(): void {
    if (this.settled) return;
    this.clearTimers();
    this.turn = false;
    if (this.aborting !== null) return this.finish(this.abortedResult());
    this.log.append(formatLogLine('warn', '[djc] its handler thread ended because of an attempt queued ahead of it; it runs on another thread (no attempt counted)'));
    void this.pool.acquire(this.thread.limitMb, this.signal).then((thread) => {
      if (this.settled) return;
      if (!thread) return this.finish(failed('signal', `attempt aborted: ${reasonText(this.signal.reason)}`, this.log.toString()));
      this.thread = thread;
      thread.attach(this, this.runMessage());
    });
  }

  /** Samples the thread's heap every HEAP_SAMPLE_MS while the attempt runs (finish clears the timer). */
  private sampleHeap(): NodeJS.Timeout {
    const timer = setInterval(() => {
      void this.thread.heapInUse().then((n) => {
        if (n !== null) this.sampledHeap = Math.max(this.sampledHeap, n);
      });
    }, HEAP_SAMPLE_MS);
    timer.unref();
    return timer;
  }

  private onDone({ result, retire, usage: measured, ms, idleMs, startedAt }: DoneMessage): void {
    if (this.killing) return; // the thread is being terminated; its exit settles the attempt
    const usage = { ...measured, peakMemoryBytes: Math.max(measured.peakMemoryBytes, this.sampledHeap) };
    // Measured in the thread: a busy worker main thread, slow to read results, does not make attempts look slow.
    this.thread.turnMs = this.thread.turnMs === null ? ms : 0.8 * this.thread.turnMs + 0.2 * ms;
    this.thread.idleMs = this.thread.idleMs === null ? idleMs : 0.8 * this.thread.idleMs + 0.2 * idleMs;
    // A thread where an exception escaped into the event loop is not reused: the attempts queued behind run elsewhere.
    if (retire === true) {
      this.thread.retire();
      this.thread.detach(this);
      void this.pool.discard(this.thread);
    } else this.pool.release(this.thread, this);
    if (this.aborting !== null) return this.finish({ ...this.abortedResult(), usage, startedAt });
    const log = this.log.toString();
    if (!result.ok) return this.finish({ ...failed('error', result.error, log, { retryable: result.retryable }), usage, startedAt });
    const data = typeof result.data === 'string' ? Buffer.from(result.data, 'utf8') : Buffer.from(result.data.buffer, result.data.byteOffset, result.data.byteLength);
    const deadLetters = result.deadLetters === null ? null : { type: 'buffer' as const, data: Buffer.from(result.deadLetters, 'utf8') };
    this.finish({ ok: true, kind: result.kind, output: { type: 'buffer', data }, records: result.records, bad: result.bad, deadLetters, log, usage, startedAt });
  }

  private readonly onAbort = (): void => {
    if (this.settled || this.killing || this.aborting !== null) return;
    const reason = reasonText(this.signal.reason);
    this.aborting = reason;
    this.log.append(formatLogLine('warn', `[djc] attempt aborted (${reason}); the handler has ${formatDuration(ABORT_GRACE_MS)} to return`));
    this.thread.post({ type: 'abort', id: this.id, reason });
    // Queued behind another attempt: the grace period starts with its turn (the thread skips it then).
    if (this.thread.isHead(this)) this.armAbortGrace();
  };

  private armAbortGrace(): void {
    const reason = this.aborting ?? 'aborted';
    this.timers.push(setTimeout(() => this.kill({ failure: 'signal', error: `attempt aborted: ${reason}` }), ABORT_GRACE_MS));
  }

  private kill(kill: Kill): void {
    if (this.settled || this.killing) return;
    this.killing = kill;
    this.log.append(formatLogLine('error', `[djc] ${kill.error}; terminating the handler thread`));
    const thread = this.thread;
    void this.pool.discard(thread);
    // A thread blocked in native code may not stop at once; do not wait for it forever (nor make the attempts behind wait).
    this.timers.push(setTimeout(() => {
      thread.orphanAllBut(this);
      this.finish(failed(kill.failure, kill.error, this.log.toString()));
    }, TERMINATE_WAIT_MS));
  }

  private abortedResult(): AttemptResult {
    return failed('signal', `attempt aborted: ${this.aborting ?? 'aborted'}`, this.log.toString());
  }

  private crashResult(code: number, error: Error | undefined): AttemptResult {
    const log = () => this.log.toString();
    if ((error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const limit = formatSize(this.thread.limitMb * MiB);
      return failed('out_of_memory', `ran out of memory (heap limit ${limit}, ${this.spec.memorySource ?? 'compute.memory'})`, log());
    }
    if (error) {
      this.log.append(formatLogLine('error', `handler thread crashed: ${error.stack ?? error.message}`));
      return failed('error', `handler crashed the thread: ${error.name}: ${error.message}`, log());
    }
    return failed('error', `handler exited the thread with code ${code}`, log());
  }

  private clearTimers(): void {
    for (const t of this.timers.splice(0)) clearTimeout(t);
  }

  private finish(result: AttemptResult): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimers();
    this.signal.removeEventListener('abort', this.onAbort);
    this.resolve(result);
  }
}

/**
 * Threads of one heap limit that quick attempts use before they queue on
 * busy ones (thread-pool.ts): `DJC_QUICK_THREADS` if set, else cores - 1
 * (at least 1).
 */
function quickThreads(given: number | undefined): number {
  const env = Number(process.env.DJC_QUICK_THREADS);
  if (given !== undefined) return given;
  return Number.isInteger(env) && env > 0 ? env : Math.max(1, availableParallelism() - 1);
}

/** "64 MiB", "2 GiB". */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0) return `${bytes / (1024 * MiB)} GiB`;
  return `${Math.round(bytes / MiB)} MiB`;
}
