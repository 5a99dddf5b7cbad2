import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { homeModes, MAX_WORKER_ALLOCATIONS, MAX_WORKER_FAILURES, type JobRecord, type Logger, type WorkerAllocation, type WorkerFailure } from '@djc/core';
import { deathLimit, isCrash, WorkerDeaths } from './worker-deaths.js';
import { groupSummary, type Dispatcher, type HeldWorker, type WorkerBinding, type WorkerLoss } from './dispatcher.js';
import { defaultBindings } from './bindings.js';
import { tail } from './log-tail.js';
import { applyBinding, bindRunning } from './worker-launch.js';
import { bindWarmWorker, type WarmPool } from './warm-pool.js';
import { allocateBinding, initialBindingState } from '../scheduler/binding.js';

export interface LocalDispatcherOptions {
  /** argv that starts a worker, e.g. [process.execPath, '/…/djc-worker/dist/bin.js']. */
  workerCommand: readonly string[];
  /** Environment that lets a worker reach the same backend (Backend.workerEnv()). */
  env: Record<string, string>;
  /** Each worker's stdout/stderr go to <logDir>/<jobId>/<workerId>.log. */
  logDir: string;
  log: Logger;
  /**
   * The local pool's CPU and GPU ids (LocalCapacity): a worker asking whole
   * CPUs is pinned to free ones (taskset), one asking GPUs gets free GPU ids
   * (CUDA_VISIBLE_DEVICES), and its memory limit is passed on
   * (DJC_WORKER_MEMORY); dispatch/worker-launch.ts applies them. Absent: no
   * binding is applied.
   */
  pool?: { cpuIds: readonly number[]; gpuIds: readonly number[] };
  /**
   * Warm workers (a daemon's, warm-pool.ts): a worker is taken from it when
   * one is idle, and bound to the job as a started one would be; else started.
   */
  warm?: WarmPool;
}

/**
 * On SIGTERM a local worker has this long to finish its running attempts
 * before it gives them back (`djc-worker --grace`).
 */
export const LOCAL_WORKER_GRACE_S = 10;
/**
 * stop() kills a worker still alive after this long: its grace period, plus
 * the time an aborted handler gets to return (2 s) and the give-back writes.
 * Killing earlier would lose the attempt instead of giving it back.
 */
const KILL_AFTER_MS = (LOCAL_WORKER_GRACE_S + 10) * 1000;

interface LocalWorker {
  workerId: string;
  /** Told to stop by us: its exit is not a loss. */
  stopping: boolean;
  child: ChildProcess;
  logFile: string;
  exited: boolean;
  binding: WorkerBinding;
  allocation: WorkerAllocation;
}

interface JobWorkers {
  /** The most workers it held at once (the restart budget scales with it). */
  granted: number;
  alive: Map<string, LocalWorker>;
  /** Bindings of workers that died while work remained: kept for their replacements. */
  spare: WorkerBinding[];
  allocations: WorkerAllocation[];
  losses: WorkerLoss[];
  crashes: number;
  /** The deaths the limit counts (compute.max_worker_deaths), carried over from the job record. */
  deaths: WorkerDeaths;
  job: JobRecord;
  lastCrash: string | null;
  failures: WorkerFailure[];
}

/**
 * Runs workers as child processes of the coordinator. A worker that dies
 * while work remains is reported (its tasks are reclaimed at once) and
 * replaced, up to a restart budget, so a job whose workers cannot start
 * fails with the reason instead of hanging.
 */
export function createLocalDispatcher(opts: LocalDispatcherOptions): Dispatcher {
  const jobs = new Map<string, JobWorkers>();
  const listeners: (() => void)[] = [];
  const released = () => {
    for (const l of listeners) l();
  };

  const noted = new Set<string>();
  /**
   * The binding with CPU and GPU ids of the pool that no live worker holds
   * (scheduler/binding.ts): whole CPUs are pinned, GPUs are by id. Without a
   * pool (no ids known), or ids already chosen, it is returned as it is.
   */
  const pinned = (binding: WorkerBinding): WorkerBinding => {
    const pool = opts.pool;
    if (!pool || binding.cpuIds.length > 0 || binding.gpuIds.length > 0) return binding;
    const held = [...jobs.values()].flatMap((jw) => [...jw.alive.values()].map((w) => w.binding));
    const heldCpus = new Set(held.flatMap((b) => b.cpuIds));
    const heldGpus = new Set(held.flatMap((b) => b.gpuIds));
    const state = initialBindingState({ cpuIds: pool.cpuIds.filter((id) => !heldCpus.has(id)), gpuIds: pool.gpuIds.filter((id) => !heldGpus.has(id)) });
    const got = allocateBinding(state, binding, pool.cpuIds.length > 0);
    if (!got.ok) {
      opts.log.warn({ reason: got.reason }, 'no free CPU or GPU ids for a worker: started unpinned');
      return binding;
    }
    return { ...binding, cpuIds: got.binding.cpuIds, gpuIds: got.binding.gpuIds };
  };

  /** A worker process for the job, on `binding`: a warm one bound to it, else one started for it. */
  const launchWorker = (jobId: string, binding: WorkerBinding): { workerId: string; child: ChildProcess; logFile: string } => {
    const logOf = (workerId: string) => join(opts.logDir, jobId, `${workerId.replace(/[^\w.-]/g, '_')}.log`);
    const hideGpus = (opts.pool?.gpuIds.length ?? 0) > 0;
    const warm = opts.warm?.take() ?? null;
    if (warm && warm.child.pid !== undefined) {
      const logFile = logOf(warm.workerId);
      const bound = bindRunning(opts.pool ? binding : null, warm.child.pid, { hideGpus });
      noteOnce(jobId, bound.notes);
      bindWarmWorker(warm, jobId, logFile, bound, opts.log);
      return { workerId: warm.workerId, child: warm.child, logFile };
    }
    const workerId = `${hostname()}:local:${randomBytes(3).toString('hex')}`;
    const modes = homeModes();
    mkdirSync(join(opts.logDir, jobId), { recursive: true, mode: modes.dir });
    const logFile = logOf(workerId);
    const fd = openSync(logFile, 'a', modes.file);
    const launch = applyBinding(opts.pool ? binding : null, {
      argv: [...opts.workerCommand, '--job', jobId, '--worker-id', workerId, '--grace', String(LOCAL_WORKER_GRACE_S)],
      env: { ...process.env, ...opts.env },
    }, { hideGpus });
    noteOnce(jobId, launch.notes);
    const [cmd, ...args] = launch.argv;
    const child = spawn(cmd as string, args, { env: launch.env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    return { workerId, child, logFile };
  };
  const noteOnce = (jobId: string, notes: readonly string[]) => {
    for (const note of notes) if (!noted.has(note)) noted.add(note) && opts.log.warn({ jobId }, note);
  };

  const spawnWorker = (jobId: string, jw: JobWorkers, binding: WorkerBinding) => {
    binding = pinned(binding);
    const { workerId, child, logFile } = launchWorker(jobId, binding);
    const allocation: WorkerAllocation = {
      workerId, ...binding, startedAt: new Date().toISOString(), endedAt: null, host: hostname(), ...(child.pid === undefined ? {} : { pid: child.pid }),
    };
    jw.allocations = [...jw.allocations, allocation].slice(-MAX_WORKER_ALLOCATIONS);
    const w: LocalWorker = { workerId, child, logFile, exited: false, stopping: false, binding, allocation };
    jw.alive.set(workerId, w);
    child.on('exit', (code, signal) => {
      w.exited = true;
      allocation.endedAt = new Date().toISOString();
      jw.alive.delete(workerId);
      if (code === 0 || w.stopping) {
        released();
        return;
      }
      // A crash: its binding stays with the job for the replacement (poll), or is freed there when no work is left.
      jw.spare.push(binding);
      const how = signal ? `signal ${signal}` : `code ${code}`;
      const reason = `worker process ${child.pid} exited with ${how}`;
      jw.crashes += 1;
      jw.deaths.add(isCrash(signal));
      jw.lastCrash = `${reason}${tail(logFile)}`;
      jw.failures = [...jw.failures, { worker: workerId, reason: jw.lastCrash, at: new Date().toISOString() }].slice(-MAX_WORKER_FAILURES);
      jw.losses.push({ workerId, reason });
      opts.log.warn({ jobId, workerId, code, signal }, 'worker died');
    });
    child.on('error', (e) => {
      jw.crashes += 1;
      jw.deaths.add(true);
      jw.lastCrash = `cannot start worker: ${e.message}`;
    });
    opts.log.debug({ jobId, workerId, pid: child.pid }, 'worker started');
  };

  return {
    async start(job, { workers = defaultBindings(job) } = {}) {
      // Started early (warm) or already followed: adopt them, and add what the grant adds.
      const known = jobs.get(job.jobId);
      if (known) {
        await this.grow(job.jobId, workers.slice(known.alive.size + known.spare.length));
        return;
      }
      const jw: JobWorkers = {
        granted: workers.length, alive: new Map(), spare: [], allocations: [], losses: [], crashes: 0, lastCrash: null, failures: [],
        deaths: new WorkerDeaths([...(job.coordination?.workerDeaths ?? [])], [...(job.coordination?.workerCrashes ?? [])]), job,
      };
      jobs.set(job.jobId, jw);
      for (const b of workers) spawnWorker(job.jobId, jw, b);
    },

    async grow(jobId, workers) {
      const jw = jobs.get(jobId);
      if (!jw) return;
      for (const b of workers) spawnWorker(jobId, jw, b);
      jw.granted = Math.max(jw.granted, jw.alive.size + jw.spare.length);
    },

    async shrink(jobId, count) {
      const jw = jobs.get(jobId);
      if (!jw || count <= 0) return 0;
      // Slots kept for replacements go first: nothing runs on them.
      const spares = jw.spare.splice(0, count).length;
      const live = [...jw.alive.values()].filter((w) => !w.stopping).slice(0, count - spares);
      for (const w of live) {
        w.stopping = true;
        w.child.kill('SIGTERM');
      }
      if (spares > 0) released();
      return spares + live.length;
    },

    held(jobId) {
      const jw = jobs.get(jobId);
      if (!jw) return [];
      const live: HeldWorker[] = [...jw.alive.values()].map((w) => ({ workerId: w.workerId, binding: w.binding, stopping: w.stopping }));
      return [...live, ...jw.spare.map((binding) => ({ workerId: null, binding, stopping: false }))];
    },

    onRelease(listener) {
      listeners.push(listener);
    },

    async warm(job, opts) {
      await this.start(job, opts);
      return true;
    },

    async poll(job) {
      const jw = jobs.get(job.jobId);
      if (!jw) return [];
      const losses = jw.losses.splice(0);
      jw.job = job;
      const limit = deathLimit(job, jw.granted);
      jw.deaths.observe(job);
      jw.deaths.kept(limit);
      const over = jw.deaths.overLimit(limit) !== null;
      const work = job.tasks.pending + job.tasks.retrying + losses.length;
      // Replace workers that died, on their bindings, while work remains and deaths are within the rate; free the bindings of those not needed.
      while (jw.spare.length > 0 && jw.alive.size < work && !over) {
        spawnWorker(job.jobId, jw, jw.spare.shift() as WorkerBinding);
      }
      if (jw.spare.length > 0 && work <= jw.alive.size) {
        jw.spare.length = 0;
        released();
      }
      return losses;
    },

    stuckReason(jobId) {
      const jw = jobs.get(jobId);
      const over = jw?.deaths.overLimit(deathLimit(jw.job, jw.granted));
      if (!jw || !over || jw.alive.size > 0) return null;
      return `workers keep dying: ${over}; last: ${jw.lastCrash ?? 'unknown'}`;
    },

    coordination(jobId) {
      const jw = jobs.get(jobId);
      return jw ? jw.deaths.kept(deathLimit(jw.job, jw.granted)) : null;
    },

    describe(jobId) {
      const jw = jobs.get(jobId);
      if (!jw) return null;
      const groups = [
        ...(jw.alive.size > 0 ? [{ state: 'RUNNING', reason: null, count: jw.alive.size }] : []),
        ...(jw.crashes > 0 ? [{ state: 'FAILED', reason: null, count: jw.crashes }] : []),
      ];
      return {
        dispatcher: 'local', slurmJobIds: [], groups, failures: jw.failures, allocations: jw.allocations.map((a) => ({ ...a })),
        summary: `local processes: ${groupSummary(groups)}`, updatedAt: new Date().toISOString(),
      };
    },

    async stop(jobId, { graceMs = KILL_AFTER_MS, leave = false } = {}) {
      const jw = jobs.get(jobId);
      if (!jw) return null;
      if (leave) {
        // Theirs now: the workers stay; their exits are no longer ours to report.
        for (const w of jw.alive.values()) w.stopping = true;
        const final = this.describe(jobId);
        jobs.delete(jobId);
        released();
        return final;
      }
      jw.spare.length = 0;
      const live = [...jw.alive.values()];
      for (const w of live) {
        w.stopping = true;
        w.child.kill('SIGTERM');
      }
      await Promise.all(live.map((w) => waitExit(w, graceMs)));
      const final = this.describe(jobId);
      jobs.delete(jobId);
      released();
      return final;
    },
  };
}

function waitExit(w: LocalWorker, graceMs: number): Promise<void> {
  if (w.exited) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => w.child.kill('SIGKILL'), graceMs);
    w.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
