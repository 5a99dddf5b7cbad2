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
 * came while the worker's event loop was busy read first) and every thread
 * started (booted), the pool doubles (a new thread for each it has, as
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
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HeapInfo } from 'node:v8';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { FromThread, ReadyMessage, StrayMessage, ToThread } from './thread-protocol.js';
import { heapInUse } from './thread-usage.js';

/** Receives what one attempt's thread says. */
export interface ThreadListener {
  onMessage(msg: Exclude<FromThread, ReadyMessage | StrayMessage>): void;
  /** The thread ended; `error` is set when it died of an error (e.g. ERR_WORKER_OUT_OF_MEMORY). */
  onExit(code: number, error: Error | undefined): void;
}

/** While attempts wait for a thread: how long without a thread given back before one more is started. */
export const GROW_AFTER_MS = 100;

export class PooledThread {
  private readonly worker: Worker;
  private listener: ThreadListener | null = null;
  private error: Error | undefined;
  exited = false;
  /** The thread has started and listens (its 'ready' message came). */
  ready = false;

  constructor(readonly limitMb: number, onExit: (thread: PooledThread) => void, onStray: (msg: StrayMessage) => void) {
    const entry = threadEntry();
    this.worker = new Worker(entry.filename, { ...entry.options, resourceLimits: { maxOldGenerationSizeMb: limitMb } });
    // A stray error names the attempt it belongs to, which may not be the one attached now.
    this.worker.on('message', (msg: FromThread) => {
      if (msg.type === 'ready') this.ready = true;
      else if (msg.type === 'stray') onStray(msg);
      else this.listener?.onMessage(msg);
    });
    this.worker.on('error', (e: Error) => {
      this.error = e;
    });
    this.worker.on('exit', (code: number) => {
      this.exited = true;
      const listener = this.listener;
      this.listener = null;
      onExit(this);
      listener?.onExit(code, this.error);
    });
  }

  /** The thread's V8 heap in use (thread-usage.ts), asked while it runs (even in synchronous code); null if it cannot say. */
  async heapInUse(): Promise<number | null> {
    const w = this.worker as Worker & { getHeapStatistics?: () => Promise<HeapInfo> };
    if (this.exited || !w.getHeapStatistics) return null;
    return w.getHeapStatistics().then(heapInUse, () => null);
  }

  attach(listener: ThreadListener): void {
    this.listener = listener;
    this.worker.ref();
  }

  detach(): void {
    this.listener = null;
    this.worker.unref();
  }

  post(msg: ToThread): void {
    this.worker.postMessage(msg);
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

  /** `onStray`: what to do with a stray error of an attempt that already reported (module-thread.ts). */
  constructor(private readonly slots: number, private readonly onStray: (msg: StrayMessage) => void = () => undefined) {}

  /** A thread with this heap limit, waiting for a free slot if need be; null if aborted or closed first. */
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

  /** Gives a healthy thread back after an attempt. */
  release(thread: PooledThread): void {
    thread.detach();
    if (thread.exited || !this.all.has(thread)) return;
    this.releasedAt = Date.now();
    this.idle.push(thread);
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
        // Threads that are starting, or one given back lately, will serve the waiters soon.
        let started = true;
        for (const t of this.all) started &&= t.ready;
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
