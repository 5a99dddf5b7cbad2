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
 * start (then all of @djc/core and zod compiled again, ~25 MiB; now
 * @djc/core/thread, ~75 ms of CPU and ~9 MiB) and spread the tasks
 * round-robin over cold threads: measured at compute.concurrency 10, three
 * times the CPU per task of concurrency 1. Slow tasks (every thread's
 * attempts measured QUICK_MS or more, or IDLE_MS or more awaiting I/O or
 * timers, which one thread running them in turn cannot overlap) get a
 * thread each, up to `slots`, at the first check once they are known slow,
 * however often a thread comes back. The
 * idle thread given back last is taken first (its caches are warm). Each
 * attempt still runs alone on its thread, so a timeout or an out-of-memory
 * kills that attempt only.
 *
 * A thread also keeps a queue: once its attempts are measured quick (under
 * QUICK_MS on average, timed in the thread, and under IDLE_MS of it
 * awaiting: PooledThread.slow) and the pool has
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
import { availableParallelism } from 'node:os';
import type { StrayMessage } from './thread-protocol.js';
import { PooledThread, type ThreadListener } from './pooled-thread.js';

export { PooledThread, type ThreadListener } from './pooled-thread.js';

/** While attempts wait for a thread: how long without a thread given back before one more is started. */
export const GROW_AFTER_MS = 100;

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

  /**
   * Would an attempt of this heap limit queue now on a busy thread whose
   * attempts are quick, with at most `behind` attempts waiting behind the
   * one it runs (the worker loop then hands it the next attempt ahead of its
   * turn, worker.ts)? False while attempts wait for a thread or a thread of
   * this limit is idle or starting.
   */
  canQueue(limitMb: number, behind: number): boolean {
    if (this.closed || this.waiters.length > 0 || this.idle.some((t) => t.limitMb === limitMb)) return false;
    const thread = this.quickBusy(limitMb);
    return thread !== null && thread.load >= 1 && thread.load <= behind + 1;
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
        // No thread left (all ended): nothing is known of the attempts, so they do not count as slow.
        let slow = this.all.size > 0;
        for (const t of this.all) {
          started &&= t.ready && !t.firstTurn;
          slow &&= t.slow;
        }
        // Every thread measured slow: a thread each for the attempts waiting (up to `slots`), though threads come back
        // often: attempts of 20-100 ms (an await of I/O) gave a thread back within every GROW_AFTER_MS, so the pool never
        // grew and compute.concurrency ran them one at a time. Else, with no thread given back for GROW_AFTER_MS, as many
        // new threads as there are (doubling): a handful of steps to `slots`.
        if (!started) return this.serveWaiters(0);
        if (slow) return this.serveWaiters(this.waiters.length);
        this.serveWaiters(Date.now() - this.releasedAt >= GROW_AFTER_MS ? Math.max(1, this.all.size) : 0);
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
