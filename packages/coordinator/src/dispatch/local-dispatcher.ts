import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MAX_WORKER_FAILURES, type JobRecord, type Logger, type WorkerFailure } from '@djc/core';
import { groupSummary, restartBudget, type Dispatcher, type WorkerLoss } from './dispatcher.js';
import { tail } from './log-tail.js';

export interface LocalDispatcherOptions {
  /** argv that starts a worker, e.g. [process.execPath, '/…/djc-worker/dist/bin.js']. */
  workerCommand: readonly string[];
  /** Environment that lets a worker reach the same backend (Backend.workerEnv()). */
  env: Record<string, string>;
  /** Each worker's stdout/stderr go to <logDir>/<jobId>/<workerId>.log. */
  logDir: string;
  log: Logger;
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
}

interface JobWorkers {
  desired: number;
  alive: Map<string, LocalWorker>;
  losses: WorkerLoss[];
  crashes: number;
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

  const spawnWorker = (jobId: string, jw: JobWorkers) => {
    const workerId = `${hostname()}:local:${randomBytes(3).toString('hex')}`;
    const dir = join(opts.logDir, jobId);
    mkdirSync(dir, { recursive: true });
    const logFile = join(dir, `${workerId.replace(/[^\w.-]/g, '_')}.log`);
    const fd = openSync(logFile, 'a');
    const [cmd, ...args] = opts.workerCommand;
    const child = spawn(cmd as string, [...args, '--job', jobId, '--worker-id', workerId, '--grace', String(LOCAL_WORKER_GRACE_S)], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const w: LocalWorker = { workerId, child, logFile, exited: false, stopping: false };
    jw.alive.set(workerId, w);
    child.on('exit', (code, signal) => {
      w.exited = true;
      jw.alive.delete(workerId);
      if (code === 0 || w.stopping) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      const reason = `worker process ${child.pid} exited with ${how}`;
      jw.crashes += 1;
      jw.lastCrash = `${reason}${tail(logFile)}`;
      jw.failures = [...jw.failures, { worker: workerId, reason: jw.lastCrash, at: new Date().toISOString() }].slice(-MAX_WORKER_FAILURES);
      jw.losses.push({ workerId, reason });
      opts.log.warn({ jobId, workerId, code, signal }, 'worker died');
    });
    child.on('error', (e) => {
      jw.crashes += 1;
      jw.lastCrash = `cannot start worker: ${e.message}`;
    });
    opts.log.debug({ jobId, workerId, pid: child.pid }, 'worker started');
  };

  return {
    async start(job) {
      // Started early (warm) or already followed: adopt them.
      if (jobs.has(job.jobId)) return;
      const jw: JobWorkers = { desired: job.config.compute.workers, alive: new Map(), losses: [], crashes: 0, lastCrash: null, failures: [] };
      jobs.set(job.jobId, jw);
      for (let i = 0; i < jw.desired; i++) spawnWorker(job.jobId, jw);
    },

    async warm(job) {
      await this.start(job);
    },

    async poll(job) {
      const jw = jobs.get(job.jobId);
      if (!jw) return [];
      const losses = jw.losses.splice(0);
      const work = job.tasks.pending + job.tasks.retrying + losses.length;
      const want = Math.min(jw.desired, work);
      while (jw.alive.size < want && jw.crashes <= restartBudget(jw.desired)) spawnWorker(job.jobId, jw);
      return losses;
    },

    stuckReason(jobId) {
      const jw = jobs.get(jobId);
      if (!jw || jw.crashes <= restartBudget(jw.desired) || jw.alive.size > 0) return null;
      return `workers keep dying (${jw.crashes} crashes); last: ${jw.lastCrash ?? 'unknown'}`;
    },

    describe(jobId) {
      const jw = jobs.get(jobId);
      if (!jw) return null;
      const groups = [
        ...(jw.alive.size > 0 ? [{ state: 'RUNNING', reason: null, count: jw.alive.size }] : []),
        ...(jw.crashes > 0 ? [{ state: 'FAILED', reason: null, count: jw.crashes }] : []),
      ];
      return {
        dispatcher: 'local', slurmJobIds: [], groups, failures: jw.failures,
        summary: `local processes: ${groupSummary(groups)}`, updatedAt: new Date().toISOString(),
      };
    },

    async stop(jobId, { graceMs = KILL_AFTER_MS } = {}) {
      const jw = jobs.get(jobId);
      if (!jw) return null;
      jw.desired = 0;
      const live = [...jw.alive.values()];
      for (const w of live) {
        w.stopping = true;
        w.child.kill('SIGTERM');
      }
      await Promise.all(live.map((w) => waitExit(w, graceMs)));
      const final = this.describe(jobId);
      jobs.delete(jobId);
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
