/**
 * One handler thread of the pool (thread-pool.ts) and the queue of attempts
 * attached to it: their runs posted in order (those posted while it is busy
 * in one message), the first one's turn given when the thread listens and
 * when the attempt ahead has its result, and, when the thread ends, the
 * first attempt without a result told it ended (`onExit`) and the others
 * that they must run elsewhere (`onOrphaned`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HeapInfo } from 'node:v8';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { FromThread, ReadyMessage, RunMessage, StrayMessage, ToThread } from './thread-protocol.js';
import { heapInUse } from './thread-usage.js';
import { takeSpareThread } from './spare-thread.js';

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
/**
 * ...unless they spend this long or more (on average) awaiting something
 * outside the thread (its event loop idle: I/O, timers): one at a time on
 * one thread, compute.concurrency would not overlap those waits.
 */
export const IDLE_MS = 1;
/** While a thread runs its first attempt (a module import included) for less than this, the pool does not grow: it may turn out quick. */
export const FIRST_TURN_MS = 1000;
/** Most attempts queued on one thread (the one running included). */
export const MAX_QUEUE = 32;

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
  /** Of turnMs, the time its event loop sat idle (the attempts awaited I/O or timers), averaged as turnMs is; null until measured. */
  idleMs: number | null = null;
  /** When the attempt running now got its turn (epoch ms). */
  private turnSince = 0;
  /** Discarded after a result (retired): the attempts queued behind never started, and run elsewhere. */
  private retired = false;
  /** The `input` of the last run posted: a run with the same object is posted without it (thread-protocol.ts). */
  private lastInput: RunMessage['input'] = undefined;

  constructor(readonly limitMb: number, onExit: (thread: PooledThread) => void, onStray: (msg: StrayMessage) => void) {
    // A warm worker's thread started before its job came (spare-thread.ts), when it has this heap limit.
    const spare = takeSpareThread(limitMb);
    this.worker = spare?.worker ?? newThreadWorker(limitMb);
    if (spare?.ready) this.ready = true;
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

  /** Its attempts are measured slow: QUICK_MS or more each, or IDLE_MS or more of each awaiting (another thread would overlap that). */
  get slow(): boolean {
    return this.turnMs !== null && (this.turnMs >= QUICK_MS || (this.idleMs ?? 0) >= IDLE_MS);
  }

  /** May an attempt be queued here while it is busy? */
  get quick(): boolean {
    return this.ready && !this.exited && this.turnMs !== null && !this.slow && this.queue.length < MAX_QUEUE;
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
      this.worker.postMessage(this.lean(run));
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
    if (runs.length > 0 && !this.exited) this.worker.postMessage(runs.length === 1 ? this.lean(runs[0] as RunMessage) : { type: 'runs', runs: runs.map((r) => this.lean(r)) });
  }

  /** The run as posted now, in order: without its input when the thread already has that one. */
  private lean(run: RunMessage): RunMessage {
    if (run.input === this.lastInput) {
      const { input: _same, ...rest } = run;
      return rest;
    }
    this.lastInput = run.input;
    return run;
  }

  /** The attempt has its result: the next one in the queue gets its turn. */
  detach(listener: ThreadListener): void {
    const i = this.queue.indexOf(listener);
    if (i < 0) return;
    this.queue.splice(i, 1);
    if (this.queue.length === 0) this.worker.unref();
    // A retired thread starts nothing after the result that retired it: the attempts behind run elsewhere.
    else if (i === 0 && this.ready && !this.retired) this.giveTurn();
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

/**
 * Where a thread starts. Built (dist): the handler thread's bundle
 * (dist/thread-bundle/module-thread.js, which `pnpm build` writes:
 * scripts/bundle-cli.mjs), else (`tsc -b` alone) `module-thread.js` next to
 * this file, the same code from its ~40 dist modules: resolving and reading
 * them one by one was ~10-15 ms of every thread's start, on the way to a
 * job's first module attempt. From TypeScript sources (vitest, or `tsx src/bin.ts`): a tiny bootstrap
 * that registers tsx in the new thread, then imports `module-thread.ts`.
 * tsx is resolved the way core resolves it (it is core's dependency).
 */
/** A handler thread (module-thread.ts) with this heap limit, not yet listening. */
export function newThreadWorker(limitMb: number): Worker {
  const entry = threadEntry();
  return new Worker(entry.filename, { ...entry.options, resourceLimits: { maxOldGenerationSizeMb: limitMb } });
}

export function threadEntry(): { filename: string | URL; options: WorkerOptions } {
  if (!import.meta.url.endsWith('.ts')) return { filename: threadBundle() ?? new URL('./module-thread.js', import.meta.url), options: {} };
  const entry = new URL('./module-thread.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsxApiUrl())}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return { filename: code, options: { eval: true } };
}

/** Looked for once per process (undefined: not yet). */
let bundled: URL | null | undefined;

function threadBundle(): URL | null {
  if (bundled === undefined) {
    const url = new URL('../thread-bundle/module-thread.js', import.meta.url);
    bundled = existsSync(url) ? url : null;
  }
  return bundled;
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
