/**
 * A pool of at most `slots` handler threads, reused across attempts so a
 * user's module is imported once per thread. Each thread has a heap limit;
 * an attempt asking for another limit gets a fresh thread. A thread that
 * dies (timeout, out of memory, `process.exit`) leaves the pool and a new
 * one is started on demand. Idle threads are unref'd: they never keep the
 * worker process alive.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HeapInfo } from 'node:v8';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { FromThread, StrayMessage, ToThread } from './thread-protocol.js';
import { heapInUse } from './thread-usage.js';

/** Receives what one attempt's thread says. */
export interface ThreadListener {
  onMessage(msg: FromThread): void;
  /** The thread ended; `error` is set when it died of an error (e.g. ERR_WORKER_OUT_OF_MEMORY). */
  onExit(code: number, error: Error | undefined): void;
}

export class PooledThread {
  private readonly worker: Worker;
  private listener: ThreadListener | null = null;
  private error: Error | undefined;
  exited = false;

  constructor(readonly limitMb: number, onExit: (thread: PooledThread) => void, onStray: (msg: StrayMessage) => void) {
    const entry = threadEntry();
    this.worker = new Worker(entry.filename, { ...entry.options, resourceLimits: { maxOldGenerationSizeMb: limitMb } });
    // A stray error names the attempt it belongs to, which may not be the one attached now.
    this.worker.on('message', (msg: FromThread) => (msg.type === 'stray' ? onStray(msg) : this.listener?.onMessage(msg)));
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

  /** `onStray`: what to do with a stray error of an attempt that already reported (module-thread.ts). */
  constructor(private readonly slots: number, private readonly onStray: (msg: StrayMessage) => void = () => undefined) {}

  /** A thread with this heap limit, waiting for a free slot if need be; null if aborted or closed first. */
  acquire(limitMb: number, signal: AbortSignal): Promise<PooledThread | null> {
    if (this.closed || signal.aborted) return Promise.resolve(null);
    const ready = this.take(limitMb);
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
    for (const w of this.waiters.splice(0)) w.resolve(null);
    const threads = [...this.all];
    this.all.clear();
    this.idle = [];
    await Promise.all(threads.map((t) => t.terminate()));
  }

  private take(limitMb: number): PooledThread | null {
    const i = this.idle.findIndex((t) => t.limitMb === limitMb);
    if (i >= 0) return this.idle.splice(i, 1)[0] as PooledThread;
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

  private serveWaiters(): void {
    while (this.waiters.length > 0 && !this.closed) {
      const thread = this.take((this.waiters[0] as { limitMb: number }).limitMb);
      if (!thread) return;
      this.waiters.shift()?.resolve(thread);
    }
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
