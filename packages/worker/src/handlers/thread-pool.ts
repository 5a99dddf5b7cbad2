/**
 * A pool of at most `slots` handler threads, reused across attempts so a
 * user's module is imported once per thread. Each thread has a heap limit;
 * an attempt asking for another limit gets a fresh thread. A thread that
 * dies (timeout, out of memory, `process.exit`) leaves the pool and a new
 * one is started on demand. Idle threads are unref'd: they never keep the
 * worker process alive.
 *
 * The pool grows only when its threads are the limit: an attempt that finds
 * every thread of its heap limit busy waits for one; when attempts have
 * waited GROW_AFTER_MS with no thread given back meanwhile (answers that
 * came while the worker's event loop was busy read first), every thread
 * started (booted) and none is on a first attempt younger than
 * FIRST_TURN_MS (not yet known quick or slow), the pool doubles (a new thread for each it has, as
 * many as attempts wait, up to `slots`). Short tasks (a no-op
 * takes well under a millisecond in its thread) then run on one or two
 * threads whatever the concurrency, where a thread per slot cost each a
 * start (@djc/core and zod compiled again, ~25 MiB) and spread the tasks
 * round-robin over cold threads: measured at compute.concurrency 10, three
 * times the CPU per task of concurrency 1. Slow or CPU-bound tasks still
 * get a thread each, up to `slots`, within a few doublings (each a thread
 * start plus GROW_AFTER_MS). The
 * idle thread given back last is taken first (its caches are warm). Each
 * attempt still runs alone on its thread, so a timeout or an out-of-memory
 * kills that attempt only.
 *
 * A thread also keeps a queue: once its attempts are measured quick (under
 * QUICK_MS on average, timed in the thread) and the pool has
 * as many threads of that heap limit as it may use for quick work
 * (`quickThreads`: min(slots, cores - 1), at least 1), an attempt that finds
 * no idle thread is queued on the least loaded busy one (up to MAX_QUEUE)
 * rather than wait. The thread still runs one attempt at a time, in order
 * (module-thread.ts), so timeouts, heap limits and crashes stay per attempt;
 * it no longer idles between a result and the next run (the round trip
 * through the worker's event loop), and runs posted while it is busy cross
 * in one message. The first attempt of a thread's queue is its `head`: only
 * the head's clock runs (module-runner.ts), from when the thread listens
 * (a thread's start is not its first attempt's time). When a thread ends, the first
 * attempt without a result is the one that ended it (a thread posts each
 * result before it starts the next attempt, and a Worker's messages are
 * all delivered before its 'exit'); the others are `orphaned`: they run
 * again on another thread, their attempt not counted.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import type { HeapInfo } from 'node:v8';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { FromThread, ReadyMessage, RunMessage, StrayMessage, ToThread } from './thread-protocol.js';
import { heapInUse } from './thread-usage.js';

/** Receives what one attempt's thread says. */
export interface ThreadListener {
  /** The attempt's id in its messages. */
  readonly id: number;
  onMessage(msg: Exclude<FromThread, ReadyMessage | StrayMessage>): void;
  /** The thread ended while this attempt was its first without a result; `error` is set when it died of an error (e.g. ERR_WORKER_OUT_OF_MEMORY). */
  onExit(code: number, error: Error | undefined): void;
  /** The attempt became the first of its thread's queue: its turn (and its clock) starts. */
  onHead(): void;
  /** The thread ended because of an attempt ahead of this one: run it again elsewhere, its attempt not counted. */
  onOrphaned(): void;
}

/** Attempts measured quicker than this (in the thread, on average) may be queued on a busy thread. */
export const QUICK_MS = 20;
/** While a thread runs its first attempt (a module import included) for less than this, the pool does not grow: it may turn out quick. */
export const FIRST_TURN_MS = 1000;
/** Most attempts queued on one thread (the one running included). */
export const MAX_QUEUE = 32;

/** While attempts wait for a thread: how long without a thread given back before one more is started. */
export const GROW_AFTER_MS = 100;

export class PooledThread {
  private readonly worker: Worker;
  /** Attempts attached, in the order their runs were posted; the first is the head. */
  private readonly queue: ThreadListener[] = [];
  /** Runs posted while the head runs, sent together on the next turn of the event loop. */
  private outbox: RunMessage[] = [];
  private flushing = false;
  private error: Error | undefined;
  exited = false;
  /** The thread has started and listens (its 'ready' message came). */
  ready = false;
  /** Average ms an attempt took in the thread (null until one ended); set by the runner. */
  turnMs: number | null = null;
  /** When the attempt running now got its turn (epoch ms). */
  private turnSince = 0;
  /** Discarded after a result (retired): the attempts queued behind never started, and run elsewhere. */
  private retired = false;

  constructor(readonly limitMb: number, onExit: (thread: PooledThread) => void, onStray: (msg: StrayMessage) => void) {
    const entry = threadEntry();
    this.worker = new Worker(entry.filename, { ...entry.options, resourceLimits: { maxOldGenerationSizeMb: limitMb } });
    // A stray error names the attempt it belongs to, which may not be the one attached now.
    this.worker.on('message', (msg: FromThread) => {
      if (msg.type === 'ready') {
        this.ready = true;
        this.giveTurn();
      }
      else if (msg.type === 'stray') onStray(msg);
      else this.queue.find((l) => l.id === msg.id)?.onMessage(msg);
    });
    this.worker.on('error', (e: Error) => {
      this.error = e;
    });
    this.worker.on('exit', (code: number) => {
      this.exited = true;
      const [first, ...rest] = this.queue.splice(0);
      onExit(this);
      if (this.retired) first?.onOrphaned();
      else first?.onExit(code, this.error);
      for (const l of rest) l.onOrphaned();
    });
  }

  /** Attempts attached and not detached (the running one included). */
  get load(): number {
    return this.queue.length;
  }

  /** May an attempt be queued here while it is busy? */
  get quick(): boolean {
    return this.ready && !this.exited && this.turnMs !== null && this.turnMs < QUICK_MS && this.queue.length < MAX_QUEUE;
  }

  /** The thread's V8 heap in use (thread-usage.ts), asked while it runs (even in synchronous code); null if it cannot say. */
  async heapInUse(): Promise<number | null> {
    const w = this.worker as Worker & { getHeapStatistics?: () => Promise<HeapInfo> };
    if (this.exited || !w.getHeapStatistics) return null;
    return w.getHeapStatistics().then(heapInUse, () => null);
  }

  /** Queues an attempt: its run is posted (with others if the thread is busy); `onHead` when its turn comes. */
  attach(listener: ThreadListener, run: RunMessage): void {
    this.queue.push(listener);
    this.worker.ref();
    if (this.queue.length === 1) {
      this.worker.postMessage(run);
      // A thread still starting gives its first attempt its turn once it listens (its start is not the attempt's time).
      if (this.ready) this.giveTurn();
      return;
    }
    this.outbox.push(run);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.flush());
  }

  /** Sends the runs waiting in the outbox, in one message. */
  private flush(): void {
    this.flushing = false;
    const runs = this.outbox.splice(0);
    if (runs.length > 0 && !this.exited) this.worker.postMessage(runs.length === 1 ? runs[0] : { type: 'runs', runs });
  }

  /** The attempt has its result: the next one in the queue gets its turn. */
  detach(listener: ThreadListener): void {
    const i = this.queue.indexOf(listener);
    if (i < 0) return;
    this.queue.splice(i, 1);
    if (this.queue.length === 0) this.worker.unref();
    else if (i === 0 && this.ready) this.giveTurn();
  }

  /** The first attempt queued gets its turn. */
  private giveTurn(): void {
    this.turnSince = Date.now();
    this.queue[0]?.onHead();
  }

  /** Running its first attempt (its module imported in it) for less than FIRST_TURN_MS: not yet known to be quick or slow. */
  get firstTurn(): boolean {
    return this.ready && this.turnMs === null && this.queue.length > 0 && Date.now() - this.turnSince < FIRST_TURN_MS;
  }

  /** Is it this attempt's turn (it is first, and the thread listens)? */
  isHead(listener: ThreadListener): boolean {
    return this.ready && this.queue[0] === listener;
  }

  /** Sends a message now (after the runs waiting in the outbox, so an abort never overtakes its run). */
  post(msg: ToThread): void {
    this.flush();
    this.worker.postMessage(msg);
  }

  /** Gives up on the thread's exit (it did not stop): every attempt queued but `keep` runs elsewhere. */
  orphanAllBut(keep: ThreadListener): void {
    const rest = this.queue.filter((l) => l !== keep);
    this.queue.splice(0, this.queue.length, ...this.queue.filter((l) => l === keep));
    for (const l of rest) l.onOrphaned();
  }

  /** Takes no more attempts (it started none after the result that asked for it): every one queued runs elsewhere. */
  retire(): void {
    this.retired = true;
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

export class ThreadPool {
  private readonly all = new Set<PooledThread>();
  private idle: PooledThread[] = [];
  private waiters: Array<{ limitMb: number; resolve: (t: PooledThread | null) => void }> = [];
  private closed = false;
  /** When a thread was last given back (epoch ms). */
  private releasedAt = 0;
  private growTimer: NodeJS.Timeout | null = null;

  /** Threads of one heap limit that quick attempts use before they queue on busy ones. */
  private readonly quickThreads: number;

  /**
   * `onStray`: what to do with a stray error of an attempt that already
   * reported (module-thread.ts). `quickThreads`: at most `slots` (default:
   * this machine's cores - 1, at least 1).
   */
  constructor(
    private readonly slots: number, private readonly onStray: (msg: StrayMessage) => void = () => undefined,
    quickThreads = availableParallelism() - 1,
  ) {
    this.quickThreads = Math.max(1, Math.min(slots, quickThreads));
  }

  /**
   * A thread with this heap limit for one attempt, waiting for a free slot if
   * need be; null if aborted or closed first. It may be busy (its attempts
   * measured quick): the attempt then waits its turn in the thread's queue.
   */
  acquire(limitMb: number, signal: AbortSignal): Promise<PooledThread | null> {
    if (this.closed || signal.aborted) return Promise.resolve(null);
    const ready = this.take(limitMb, this.noneOf(limitMb));
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const waiter = {
        limitMb,
        resolve: (t: PooledThread | null) => {
          signal.removeEventListener('abort', onAbort);
          resolve(t);
        },
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(null);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.scheduleGrow();
    });
  }

  /** Threads started and not ended (busy or idle). */
  get threads(): number {
    return this.all.size;
  }

  /** Starts an idle thread with this heap limit now, if a slot is free, so the first attempt does not wait for one. */
  prewarm(limitMb: number): void {
    if (this.closed || this.all.size >= this.slots) return;
    const thread = new PooledThread(limitMb, (t) => this.onThreadExit(t), this.onStray);
    this.all.add(thread);
    this.idle.push(thread);
  }

  /** Gives a healthy thread back after an attempt (`listener`): idle once no attempt is queued on it. */
  release(thread: PooledThread, listener?: ThreadListener): void {
    if (listener) thread.detach(listener);
    if (thread.exited || !this.all.has(thread)) return;
    this.releasedAt = Date.now();
    if (thread.load === 0 && !this.idle.includes(thread)) this.idle.push(thread);
    this.serveWaiters();
  }

  /** Removes a thread from the pool and terminates it (its listener sees the exit). */
  async discard(thread: PooledThread): Promise<void> {
    this.forget(thread);
    this.serveWaiters();
    await thread.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.growTimer !== null) clearTimeout(this.growTimer);
    this.growTimer = null;
    for (const w of this.waiters.splice(0)) w.resolve(null);
    const threads = [...this.all];
    this.all.clear();
    this.idle = [];
    await Promise.all(threads.map((t) => t.terminate()));
  }

  /**
   * An idle thread with this heap limit (the one given back last), else,
   * if `start`, a new one (an idle thread of another limit is replaced when
   * every slot has a thread); null if none.
   */
  private take(limitMb: number, start: boolean): PooledThread | null {
    const i = this.idle.findLastIndex((t) => t.limitMb === limitMb);
    if (i >= 0) return this.idle.splice(i, 1)[0] as PooledThread;
    const busy = this.quickBusy(limitMb);
    if (busy) return busy;
    if (!start) return null;
    if (this.all.size >= this.slots) {
      const other = this.idle.shift();
      if (!other) return null;
      this.forget(other);
      void other.terminate();
    }
    const thread = new PooledThread(limitMb, (t) => this.onThreadExit(t), this.onStray);
    this.all.add(thread);
    return thread;
  }

  /**
   * The least loaded busy thread of this heap limit an attempt may queue on:
   * the pool has `quickThreads` threads of this limit already (started or
   * starting), and the attempts of every started one are quick (so slow
   * attempts still get a thread each, up to `slots`).
   */
  private quickBusy(limitMb: number): PooledThread | null {
    let best: PooledThread | null = null;
    let count = 0;
    for (const t of this.all) {
      if (t.limitMb !== limitMb) continue;
      count += 1;
      // A thread still starting takes no queue yet; it joins once it has run an attempt.
      if (!t.ready) continue;
      if (!t.quick) return null;
      if (!best || t.load < best.load) best = t;
    }
    return count >= this.quickThreads ? best : null;
  }

  /** No thread of this heap limit runs: an attempt that needs one starts it at once rather than wait. */
  private noneOf(limitMb: number): boolean {
    for (const t of this.all) if (t.limitMb === limitMb) return false;
    return true;
  }

  /** Gives idle threads (or new ones: up to `grow`, or for a heap limit no thread has) to the attempts waiting, in order. */
  private serveWaiters(grow = 0): void {
    while (this.waiters.length > 0 && !this.closed) {
      const { limitMb } = this.waiters[0] as { limitMb: number };
      const before = this.all.size;
      const thread = this.take(limitMb, grow > 0 || this.noneOf(limitMb));
      if (!thread) break;
      if (this.all.size > before && grow > 0) grow -= 1;
      this.waiters.shift()?.resolve(thread);
    }
    this.scheduleGrow();
  }

  /** While attempts wait and a slot has no thread: check again in GROW_AFTER_MS whether to start threads for them. */
  private scheduleGrow(): void {
    if (this.growTimer !== null || this.closed || this.waiters.length === 0 || this.all.size >= this.slots) return;
    this.growTimer = setTimeout(() => {
      // Decided after the event loop's poll phase: answers of threads that came while this
      // process was busy (a stalled loop) are read first, and a thread they free counts.
      setImmediate(() => {
        this.growTimer = null;
        // Threads that are starting, or one given back lately, will serve the waiters soon; so may
        // a thread on its first attempt (measured quick, it takes the waiters in its queue).
        let started = true;
        for (const t of this.all) started &&= t.ready && !t.firstTurn;
        // As many new threads as there are (doubling): a handful of steps to `slots` for slow tasks.
        this.serveWaiters(started && Date.now() - this.releasedAt >= GROW_AFTER_MS ? Math.max(1, this.all.size) : 0);
      });
    }, GROW_AFTER_MS);
  }

  private onThreadExit(thread: PooledThread): void {
    if (!this.all.has(thread)) return;
    this.forget(thread);
    this.serveWaiters();
  }

  private forget(thread: PooledThread): void {
    this.all.delete(thread);
    this.idle = this.idle.filter((t) => t !== thread);
  }
}

/**
 * Where a thread starts. Built (dist): `module-thread.js` next to this file.
 * From TypeScript sources (vitest, or `tsx src/bin.ts`): a tiny bootstrap
 * that registers tsx in the new thread, then imports `module-thread.ts`.
 * tsx is resolved the way core resolves it (it is core's dependency).
 */
function threadEntry(): { filename: string | URL; options: WorkerOptions } {
  if (!import.meta.url.endsWith('.ts')) return { filename: new URL('./module-thread.js', import.meta.url), options: {} };
  const entry = new URL('./module-thread.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsxApiUrl())}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return { filename: code, options: { eval: true } };
}

let tsxApi: string | undefined;

function tsxApiUrl(): string {
  if (!tsxApi) {
    const core = createRequire(import.meta.url).resolve('@djc/core');
    const tsxPackage = createRequire(core).resolve('tsx/package.json');
    // The ESM build of `tsx/esm/api` (its "import" condition).
    tsxApi = pathToFileURL(join(dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
  }
  return tsxApi;
}
