/**
 * A daemon's pool of warm local workers: `djc-worker --warm` processes
 * started before any job needs them, with their modules loaded and the
 * backend open, waiting for a job on stdin (worker/src/warm-main.ts). The
 * local dispatcher takes one instead of starting a process when a job is
 * granted a worker (local-dispatcher.ts), so the job's first task does not
 * wait for a process start.
 *
 * A warm worker belongs to no job while it waits: it holds no binding, so
 * the scheduler counts none of a job's resources for it (it appears in no
 * held() list), and nothing of any job runs in it. Once taken it is bound to
 * ONE job, exactly as a worker started for that job: same argv and
 * environment (the daemon's, plus the backend's worker env), same cwd (the
 * daemon's), its log moved to the job's worker logs, its CPU mask set by
 * taskset and the binding's environment (DJC_WORKER_MEMORY,
 * CUDA_VISIBLE_DEVICES) set before the job's handler threads, handler module
 * or commands start. It serves that job and exits; the pool starts a
 * replacement a little later (REFILL_DELAY_MS), so the job just started has
 * the CPU first, and not while a job prepares in this process
 * (preparesRunning, prepare.ts): a 1,000,000-task prepare lasts ~10 s, and
 * a process start then took ~0.5 s of CPU from it and the job's workers.
 *
 * The pool never holds more than `size` idle workers. Its workers end when
 * their stdin closes: at stop(), or when the daemon dies (the pipe closes).
 * Warm workers that keep dying before they are used turn the pool off (jobs
 * then start their workers as before), with a warning naming the log.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { homeModes, type Logger } from '@djc/core';
import { preparesRunning } from '../prepare.js';
import type { RunningBinding } from './worker-launch.js';

export interface WarmPoolOptions {
  /** argv that starts a worker, as for the local dispatcher; `--warm` is added. */
  workerCommand: readonly string[];
  /** The backend's worker environment (Backend.workerEnv()), over the daemon's own. */
  env: Record<string, string>;
  /** Idle workers log to <logDir>/warm/; a bound one's log moves to <logDir>/<jobId>/. */
  logDir: string;
  log: Logger;
  /** Idle workers kept (0: no pool). */
  size: number;
  /** --grace of the workers (seconds), as the dispatcher starts them. */
  graceS: number;
  /** While true, no replacement starts (looked at again every REFILL_RECHECK_MS); default: a job prepares in this process. */
  deferRefill?: () => boolean;
  /** How long after a take its replacement starts at the earliest (default REFILL_DELAY_MS; tests shorten it). */
  refillDelayMs?: number;
  /**
   * False: the pool starts its `size` workers once and never replaces one
   * taken or dead (`djc run`'s, for its one job). Default true (a daemon's).
   */
  refill?: boolean;
}

/** An idle warm worker taken out of the pool, to be bound to a job (bindWarmWorker). */
export interface WarmWorker {
  workerId: string;
  child: ChildProcess;
  logFile: string;
}

export interface WarmPool {
  /** Starts the idle workers (again after stop()), at once unless deferRefill says wait. */
  start(): void;
  /** An idle warm worker, out of the pool, or null (none, or the pool is off); a replacement starts shortly. */
  take(): WarmWorker | null;
  /** Idle workers now (started, not taken, not exited). */
  idle(): number;
  /** Ends the idle workers (their stdin closes) and starts no more; resolves when they exited. */
  stop(): Promise<void>;
}

/** How long after a worker is taken its replacement starts: a process start (~0.5 s of CPU) must not compete with the handler thread the bound worker starts meanwhile. */
const REFILL_DELAY_MS = 2_000;
/** How often a deferred refill looks again whether it may start. */
const REFILL_RECHECK_MS = 250;
/** This many idle workers dying in a row (exit code not 0) turn the pool off. */
const MAX_IDLE_DEATHS = 3;
/** stop() kills an idle worker that has not exited this long after its stdin closed. */
const STOP_KILL_MS = 5_000;

export function createWarmPool(opts: WarmPoolOptions): WarmPool {
  const idle = new Map<string, WarmWorker & { onExit: (code: number | null) => void }>();
  let running = false;
  let deaths = 0;
  let refill: NodeJS.Timeout | null = null;
  const deferRefill = opts.deferRefill ?? (() => preparesRunning() > 0);
  const refillDelayMs = opts.refillDelayMs ?? REFILL_DELAY_MS;

  const spawnOne = () => {
    const workerId = `${hostname()}:local:${randomBytes(3).toString('hex')}`;
    const dir = join(opts.logDir, 'warm');
    const modes = homeModes();
    mkdirSync(dir, { recursive: true, mode: modes.dir });
    const logFile = join(dir, `${workerId.replace(/[^\w.-]/g, '_')}.log`);
    const fd = openSync(logFile, 'a', modes.file);
    const [cmd, ...args] = [...opts.workerCommand, '--warm', '--worker-id', workerId, '--grace', String(opts.graceS)];
    const child = spawn(cmd as string, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', fd, fd] });
    closeSync(fd);
    // A warm worker that died has no reader: writing to it must not crash the daemon (its exit is reported).
    child.stdin?.on('error', () => undefined);
    const onExit = (code: number | null) => {
      idle.delete(workerId);
      if (code === 0) rmSync(logFile, { force: true });
      else deaths += 1;
      if (!running) return;
      if (opts.refill === false) return;
      if (deaths >= MAX_IDLE_DEATHS) {
        running = false;
        opts.log.warn({ logFile, deaths }, 'warm workers keep dying before their first job: the warm pool is off, jobs start their own workers');
        return;
      }
      fill(refillDelayMs);
    };
    child.once('exit', onExit);
    child.once('error', (e) => opts.log.warn({ err: e }, 'cannot start a warm worker'));
    idle.set(workerId, { workerId, child, logFile, onExit });
  };

  const topUp = () => {
    try {
      while (running && idle.size < opts.size) spawnOne();
    } catch (e) {
      // No log file or no process (an unwritable home, no memory left): jobs start their own workers, which say why.
      running = false;
      opts.log.warn({ err: e }, 'cannot start a warm worker: the warm pool is off, jobs start their own workers');
    }
  };

  const fill = (delayMs: number) => {
    if (refill !== null) return;
    refill = setTimeout(() => {
      refill = null;
      if (running && deferRefill()) return fill(REFILL_RECHECK_MS);
      topUp();
    }, delayMs);
    refill.unref();
  };

  return {
    start() {
      if (opts.size <= 0 || running) return;
      running = true;
      deaths = 0;
      // At once, in this call: the caller may go on for a while before its event loop turns (djc run opening its home).
      if (deferRefill()) fill(REFILL_RECHECK_MS);
      else topUp();
    },

    take() {
      for (const [id, w] of idle) {
        idle.delete(id);
        w.child.off('exit', w.onExit);
        // Exited (its 'exit' event not handled yet) or killed: not usable.
        if (w.child.exitCode !== null || w.child.signalCode !== null || w.child.killed) continue;
        // One taken: the pool works, its earlier deaths were not a loop.
        deaths = 0;
        if (running && opts.refill !== false) fill(refillDelayMs);
        return { workerId: w.workerId, child: w.child, logFile: w.logFile };
      }
      return null;
    },

    idle: () => idle.size,

    async stop() {
      running = false;
      if (refill !== null) clearTimeout(refill);
      refill = null;
      const left = [...idle.values()];
      await Promise.all(left.map((w) => new Promise<void>((resolve) => {
        if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
        const timer = setTimeout(() => w.child.kill('SIGKILL'), STOP_KILL_MS);
        w.child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        w.child.stdin?.end();
      })));
    },
  };
}

/**
 * Binds a warm worker taken from the pool to a job: its log becomes
 * `logFile` (the job's worker log; the open file is renamed, so what it
 * writes from now on lands there), its CPU mask is set (`bound.pin`), then
 * it gets the job and the binding's environment on stdin. Pinning runs
 * before the worker hears of its job, so no thread of the job's work starts
 * unpinned; a failure to pin is logged and the worker runs unpinned, as a
 * worker started without taskset would.
 */
export function bindWarmWorker(w: WarmWorker, jobId: string, logFile: string, bound: RunningBinding, log: Logger): void {
  try {
    mkdirSync(dirname(logFile), { recursive: true, mode: homeModes().dir });
    renameSync(w.logFile, logFile);
  } catch (e) {
    log.warn({ jobId, workerId: w.workerId, err: e, logFile: w.logFile }, 'cannot move a warm worker\'s log to its job: it stays where it is');
  }
  const assign = () => w.child.stdin?.end(`${JSON.stringify({ jobId, env: bound.env })}\n`);
  if (bound.pin === null) return void assign();
  const [cmd, ...args] = bound.pin;
  execFile(cmd as string, args, (e) => {
    if (e) log.warn({ jobId, workerId: w.workerId, err: e }, 'cannot pin a warm worker to its CPUs: it runs unpinned');
    assign();
  });
}
