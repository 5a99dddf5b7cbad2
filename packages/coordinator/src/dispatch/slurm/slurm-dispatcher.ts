/**
 * Workers as Slurm job arrays: one `sbatch --array=0-(N-1)%T` per job (a few
 * when N exceeds the cluster's MaxArraySize), N being the worker count, never
 * the batch count. Each array task runs one djc worker that exits when the
 * job has no work left. The dispatcher follows the array tasks with squeue
 * (at most every pollMs), reports the ones that ended badly so their tasks
 * are reclaimed at once, replaces them while work remains (bounded), and
 * says why a job cannot progress (workers that keep failing, or arrays Slurm
 * will never start).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { homeModes, MAX_WORKER_FAILURES, type JobRecord, type Logger, type WorkerFailure, type WorkersRecord } from '@djc/core';
import { groupSummary, type Dispatcher, type StartOptions, type StopOptions, type WorkerBinding, type WorkerLoss } from '../dispatcher.js';
import { workerShare } from '../bindings.js';
import { deathLimit, isCrash, WorkerDeaths } from '../worker-deaths.js';
import { tail } from '../log-tail.js';
import { workerInvocation } from '../worker-command.js';
import { batchScript, planArrays, sbatchArgs, slurmWorkerId } from './batch-script.js';
import { NEVER_STARTS } from './reasons.js';
import { createSlurmCli, ENDED_STATES, type ArrayTaskState, type SlurmCli } from './slurm-cli.js';

export interface SlurmDispatcherOptions {
  /** argv that starts a worker on a compute node (absolute paths on a shared filesystem). */
  workerCommand: readonly string[];
  /** Environment that lets a worker reach the same backend (Backend.workerEnv()); written into the batch script. */
  env: Record<string, string>;
  /** Array tasks' output goes to <logDir>/<jobId>/slurm-<array>_<index>.log (where `djc logs --workers` looks). */
  logDir: string;
  log: Logger;
  /** Default: the real Slurm commands on PATH. */
  cli?: SlurmCli;
  /** Least time between two squeue calls for one job (default DJC_SLURM_POLL_MS or 5000). */
  pollMs?: number;
}

interface FollowedJob {
  jobId: string;
  config: JobRecord['config'];
  desired: number;
  /** What one worker holds (the scheduler's view). */
  share: WorkerBinding;
  /** start() is adopting or submitting: a grow() meanwhile only raises `desired`, which start() submits. */
  starting: boolean;
  arrays: string[];
  /** Array tasks by "<array>_<index>", as last seen. */
  tasks: Map<string, ArrayTaskState>;
  /** Array tasks whose end was already handled. */
  ended: Set<string>;
  /** The job, as of start() (its compute.max_worker_deaths). */
  job: JobRecord;
  /** Array tasks that ended badly, kept on the job (JobRecord.coordination) so the next coordinator continues the count. */
  deaths: WorkerDeaths;
  failures: WorkerFailure[];
  lastPoll: number;
  stuck: string | null;
  /** Workers in arrays being submitted (sbatch not answered yet): not listed anywhere, yet not missing. */
  inFlight: number;
  /** sbatch refused an array after start() (a grant grown, workers replaced): the job fails with Slurm's words. */
  startError: string | null;
  /** Losses found when adopting arrays, reported on the first poll. */
  adoptedLosses: WorkerLoss[];
  /** The shortfall of workers the last poll saw with no loss to explain it (see poll). */
  shortBefore: number;
}

export function createSlurmDispatcher(opts: SlurmDispatcherOptions): Dispatcher {
  const cli = opts.cli ?? createSlurmCli();
  const pollMs = opts.pollMs ?? Number(process.env.DJC_SLURM_POLL_MS ?? 5000);
  const jobs = new Map<string, FollowedJob>();
  let maxArraySize: number | null = null;
  const jobDir = (jobId: string) => join(opts.logDir, jobId);
  const jobName = (jobId: string) => `djc-${jobId}`;

  /** The job is still followed: stop() has not begun (a poll or grow that awaited Slurm meanwhile must not submit). */
  const followed = (fj: FollowedJob) => jobs.get(fj.jobId) === fj;

  const submit = async (fj: FollowedJob, count: number) => {
    // Until sbatch answers, these workers are listed nowhere: counted as in flight, a poll meanwhile does not replace them.
    fj.inFlight += count;
    let left = count;
    try {
      maxArraySize ??= await cli.maxArraySize();
      mkdirSync(jobDir(fj.jobId), { recursive: true, mode: homeModes().dir });
      const script = batchScript(workerInvocation(opts.workerCommand, fj.jobId, opts.env));
      for (const chunk of planArrays(count, maxArraySize, fj.config.compute.slurm?.throttle)) {
        if (!followed(fj)) break;
        const args = sbatchArgs(fj.config.compute.slurm, { jobName: jobName(fj.jobId), logDir: jobDir(fj.jobId), array: chunk.spec }, fj.config.compute.resources);
        const id = await cli.submit(args, script, jobDir(fj.jobId));
        if (!followed(fj)) {
          // Stopped while sbatch answered: stop() did not know this array, so it is cancelled here.
          opts.log.info({ jobId: fj.jobId, slurmJobId: id }, 'cancelling a worker array submitted while the job stopped');
          await cli.cancel([id]).catch((e: unknown) => opts.log.warn({ err: e, jobId: fj.jobId, slurmJobId: id }, 'scancel of a late worker array failed'));
          break;
        }
        fj.arrays.push(id);
        // Until squeue says otherwise, its tasks are pending.
        for (let i = 0; i < chunk.count; i++) {
          fj.tasks.set(`${id}_${i}`, { arrayJobId: id, taskIndex: String(i), state: 'PENDING', reason: null, exitCode: null, signal: null, node: null });
        }
        fj.inFlight -= chunk.count;
        left -= chunk.count;
        opts.log.info({ jobId: fj.jobId, slurmJobId: id, array: chunk.spec }, 'submitted worker array');
      }
    } finally {
      fj.inFlight -= left;
    }
  };

  /**
   * submit() after start(): a refusal does not throw into the scheduler's
   * tick or the monitor (which would end the coordinator with a usage
   * error); the job fails with it, as when start() is refused.
   */
  const submitMore = async (fj: FollowedJob, count: number) => {
    try {
      await submit(fj, count);
    } catch (e) {
      fj.startError = `starting the workers failed: ${(e as Error).message}`;
      opts.log.warn({ jobId: fj.jobId, err: e }, 'sbatch refused more workers');
    }
  };

  /**
   * Handles an array task that ended: a loss (its tasks are reclaimed) unless
   * it completed cleanly. `adopted`: it ended before this coordinator
   * followed it (a restart, or `djc retry` of a job whose workers failed):
   * its tasks are still reclaimed, but it is not counted against the budget.
   */
  const ended = (fj: FollowedJob, t: ArrayTaskState, losses: WorkerLoss[], adopted = false) => {
    const key = `${t.arrayJobId}_${t.taskIndex}`;
    if (fj.ended.has(key)) return;
    fj.ended.add(key);
    if (t.state === 'COMPLETED' && (t.exitCode ?? 0) === 0) return;
    const workerId = slurmWorkerId(t.arrayJobId, t.taskIndex);
    const how = [t.reason, t.signal ? `signal ${t.signal}` : t.exitCode !== null ? `exit ${t.exitCode}` : null].filter(Boolean).join(', ');
    const reason = `Slurm array task ${key} ${t.state}${how ? ` (${how})` : ''}`;
    losses.push({ workerId, reason });
    if (t.state === 'UNKNOWN' || adopted) return; // not counted as a failure
    // Cancelled after stop() began: stop() scancelled it (pending, or past the grace period).
    if (t.state === 'CANCELLED' && !followed(fj)) return;
    // A crash: the element failed by itself (not killed, cancelled or preempted).
    fj.deaths.add((t.state === 'FAILED' || t.state === 'BOOT_FAIL') && isCrash(t.signal));
    const logFile = join(jobDir(fj.jobId), `slurm-${t.arrayJobId}_${t.taskIndex}.log`);
    fj.failures = [...fj.failures, { worker: workerId, reason: `${reason}${tail(logFile)}`, at: new Date().toISOString() }].slice(-MAX_WORKER_FAILURES);
    opts.log.warn({ jobId: fj.jobId, workerId, state: t.state, reason: t.reason, exitCode: t.exitCode }, 'slurm worker ended badly');
  };

  const refresh = async (fj: FollowedJob, losses: WorkerLoss[], adopted = false) => {
    const rows = await cli.queue(fj.arrays);
    const seen = new Set<string>();
    const see = (t: ArrayTaskState) => {
      const key = `${t.arrayJobId}_${t.taskIndex}`;
      seen.add(key);
      fj.tasks.set(key, t);
      if (ENDED_STATES.has(t.state)) ended(fj, t, losses, adopted);
    };
    const single = rows.filter((t) => /^\d+$/.test(t.taskIndex));
    single.forEach(see);
    // A record for several tasks (e.g. pending ones cancelled together)
    // stands for every task of its array not listed on its own.
    for (const group of rows.filter((t) => !/^\d+$/.test(t.taskIndex))) {
      for (const t of [...fj.tasks.values()]) {
        if (t.arrayJobId === group.arrayJobId && !seen.has(`${t.arrayJobId}_${t.taskIndex}`)) see({ ...group, taskIndex: t.taskIndex });
      }
    }
    // Forgotten by squeue (MinJobAge passed, controller restarted): ask
    // accounting, else say it ended in an unknown state.
    const gone = [...fj.tasks.values()].filter((t) => !seen.has(`${t.arrayJobId}_${t.taskIndex}`) && !fj.ended.has(`${t.arrayJobId}_${t.taskIndex}`));
    if (gone.length === 0) return;
    const acct = await cli.accounting([...new Set(gone.map((t) => t.arrayJobId))]);
    for (const t of gone) {
      const known = acct?.find((a) => a.arrayJobId === t.arrayJobId && a.taskIndex === t.taskIndex);
      const final: ArrayTaskState = known && ENDED_STATES.has(known.state)
        ? known
        : { ...t, state: 'UNKNOWN', reason: 'no longer listed by squeue' };
      fj.tasks.set(`${t.arrayJobId}_${t.taskIndex}`, final);
      ended(fj, final, losses, adopted);
    }
  };

  const alive = (fj: FollowedJob) => [...fj.tasks.values()].filter((t) => !ENDED_STATES.has(t.state) && t.state !== 'UNKNOWN');

  const stuckReason = (fj: FollowedJob): string | null => {
    const live = alive(fj);
    const over = fj.deaths.overLimit(deathLimit(fj.job, fj.desired));
    if (live.length === 0 && over) {
      const last = fj.failures.at(-1)?.reason ?? 'unknown';
      return `Slurm workers keep failing (array tasks that ended badly): ${over}; last: ${last}`;
    }
    const pending = live.filter((t) => t.state === 'PENDING');
    if (live.length > 0 && pending.length === live.length) {
      const reasons = new Set(pending.map((t) => t.reason ?? ''));
      const [reason] = reasons;
      if (reasons.size === 1 && reason && NEVER_STARTS.has(reason)) {
        return `Slurm will not start the workers: ${pending.length} array task${pending.length === 1 ? ' is' : 's are'} pending with reason ${reason} (${NEVER_STARTS.get(reason)}); fix compute.slurm and submit the job again`;
      }
    }
    return null;
  };

  return {
    async start(job, { workers }: StartOptions = {}) {
      const cfg = job.config.compute;
      const fj: FollowedJob = {
        jobId: job.jobId, config: job.config, desired: workers?.length ?? cfg.slurm?.workers ?? cfg.workers, share: workerShare(job), starting: true,
        arrays: [], tasks: new Map(), ended: new Set(), job, deaths: new WorkerDeaths([...(job.coordination?.workerDeaths ?? [])], [...(job.coordination?.workerCrashes ?? [])]),
        failures: job.workers?.failures ?? [], lastPoll: 0, stuck: null, startError: null, inFlight: 0,
        adoptedLosses: [], shortBefore: 0,
      };
      jobs.set(job.jobId, fj);
      // Adopt the arrays of a previous coordinator: recorded on the job, or found by name.
      const known = new Set([...(job.workers?.slurmJobIds ?? []), ...(await cli.findByName(jobName(job.jobId)))]);
      if (known.size > 0) {
        fj.arrays.push(...known);
        // Workers that ended meanwhile: their tasks are reclaimed on the first poll.
        await refresh(fj, fj.adoptedLosses, true);
        opts.log.info({ jobId: job.jobId, arrays: fj.arrays, alive: alive(fj).length }, 'adopted worker arrays');
        if (alive(fj).length > 0) {
          fj.starting = false;
          return;
        }
      }
      fj.starting = false;
      if (fj.desired > 0) await submit(fj, fj.desired);
      fj.lastPoll = Date.now();
    },

    async grow(jobId, workers) {
      const fj = jobs.get(jobId);
      if (!fj || workers.length === 0) return;
      fj.desired += workers.length;
      if (!fj.starting && !fj.startError) await submitMore(fj, workers.length);
    },

    // Slurm admits and runs array tasks itself: single workers are not taken back (preemption is local).
    async shrink() {
      return 0;
    },

    // What was granted, until the job ends: Slurm, not the daemon, decides when array tasks run.
    held(jobId) {
      const fj = jobs.get(jobId);
      return fj ? Array.from({ length: fj.desired }, () => ({ workerId: null, binding: fj.share, stopping: false })) : [];
    },

    onRelease() {
      // Capacity of the Slurm pool frees only when a job ends (held counts grants).
    },

    async poll(job) {
      const fj = jobs.get(job.jobId);
      if (!fj || Date.now() - fj.lastPoll < pollMs) return [];
      fj.lastPoll = Date.now();
      const losses: WorkerLoss[] = fj.adoptedLosses.splice(0);
      fj.job = job;
      fj.deaths.observe(job);
      await refresh(fj, losses);
      // Stopped while squeue answered: the pending array tasks stop() cancelled are not losses to replace.
      if (!followed(fj)) return losses;
      const work = job.tasks.pending + job.tasks.retrying + losses.length;
      // Arrays still being submitted (a grant grown while this polls) count: they are not missing.
      const short = Math.min(fj.desired, work) - alive(fj).length - fj.inFlight;
      // A worker that ended cleanly found no work left, by counters fresher than `job` (read before squeue
      // answered): a shortfall no loss explains is acted on only when the next poll still sees it.
      const missing = losses.length > 0 ? short : Math.min(short, fj.shortBefore);
      fj.shortBefore = losses.length > 0 ? 0 : Math.max(0, short);
      if (missing > 0 && !fj.startError && !fj.deaths.overLimit(deathLimit(job, fj.desired)) && job.status === 'RUNNING') {
        opts.log.info({ jobId: job.jobId, missing }, 'replacing slurm workers');
        await submitMore(fj, missing);
      }
      fj.stuck = stuckReason(fj);
      return losses;
    },

    stuckReason(jobId) {
      const fj = jobs.get(jobId);
      return fj ? fj.startError ?? fj.stuck : null;
    },

    describe(jobId) {
      const fj = jobs.get(jobId);
      return fj ? describe(fj) : null;
    },

    coordination(jobId) {
      const fj = jobs.get(jobId);
      return fj ? fj.deaths.kept(deathLimit(fj.job, fj.desired)) : null;
    },

    async stop(jobId, { graceMs = 10_000, detach = false, leave = false }: StopOptions = {}) {
      const fj = jobs.get(jobId);
      if (!fj) return null;
      jobs.delete(jobId);
      if (detach || leave || fj.arrays.length === 0) return describe(fj);
      // Array tasks that never started are not needed; running workers see
      // the job end and exit by themselves within the grace period.
      await cli.cancel(fj.arrays, { pendingOnly: true }).catch((e: unknown) => opts.log.warn({ err: e, jobId }, 'scancel of pending workers failed'));
      const until = Date.now() + graceMs;
      for (;;) {
        await refresh(fj, []).catch(() => undefined);
        if (alive(fj).length === 0) return describe(fj);
        if (Date.now() >= until) break;
        await sleep(Math.min(500, pollMs));
      }
      await cli.cancel(fj.arrays).catch((e: unknown) => opts.log.warn({ err: e, jobId }, 'scancel of workers failed'));
      await sleep(500);
      await refresh(fj, []).catch(() => undefined);
      return describe(fj);
    },
  };
}

function describe(fj: FollowedJob): WorkersRecord {
  const counts = new Map<string, WorkersRecord['groups'][number]>();
  for (const t of fj.tasks.values()) {
    const reason = t.state === 'COMPLETED' ? null : t.reason;
    const key = `${t.state}|${reason ?? ''}`;
    const g = counts.get(key) ?? { state: t.state, reason, count: 0 };
    g.count += 1;
    counts.set(key, g);
  }
  const order = (s: string) => ['RUNNING', 'PENDING'].indexOf(s) + 1 || (ENDED_STATES.has(s) ? 10 : 5);
  const groups = [...counts.values()].sort((a, b) => order(a.state) - order(b.state) || b.count - a.count);
  const [first, ...more] = fj.arrays;
  const arrays = first ? `slurm array ${first}${more.length > 0 ? ` (+${more.length} more: ${more.join(', ')})` : ''}` : 'slurm';
  return {
    dispatcher: 'slurm',
    slurmJobIds: [...fj.arrays],
    groups,
    failures: fj.failures,
    summary: `${arrays}: ${groupSummary(groups)}`,
    updatedAt: new Date().toISOString(),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
