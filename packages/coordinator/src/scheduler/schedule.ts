/**
 * The scheduler's decision for one tick: `schedule(snapshot)` is pure.
 *
 * Jobs that want more workers than they hold are taken in grant order
 * (order.ts: effective priority, fair share, submit time). Each gets as many
 * whole workers as fit in its pool (cpus, memory, gpus and worker slots all
 * at once), within max_jobs and its owner's quota. The first job of a pool
 * that does not fit becomes the pool's head and gets a reservation; a later
 * job then starts only if that cannot delay the head (EASY backfill,
 * pool-state.ts). A head of high enough priority takes workers back from
 * lower ones (preempt.ts). Every job that gets nothing has a WaitReason.
 */
import { fitCount, neverFits, take } from './capacity.js';
import { estimateStarts } from './estimate-starts.js';
import { grantOrder } from './order.js';
import { addHolder, poolStates, reserve, reserveSoon, type PoolState } from './pool-state.js';
import { choosePreemptions, noneTaken, preemptionCandidates, type Taken } from './preempt.js';
import type { Decision, JobDemand, SchedulerSnapshot, WaitCode } from './types.js';
import { roughly, waitReason, type PendingWait } from './wait-reason.js';

interface Tick {
  snap: SchedulerSnapshot;
  pools: Map<string, PoolState>;
  /** Jobs holding at least one worker (max_jobs). */
  holding: number;
  owners: Map<string, { jobs: number; cpus: number }>;
  taken: Taken;
  /** Per pool, the jobs whose workers may be taken back, in that order. */
  candidates: Map<string, JobDemand[]>;
  decision: Decision;
  pending: PendingWait[];
}

export function schedule(snapshot: SchedulerSnapshot): Decision {
  const tick = startTick(snapshot);
  const order = grantOrder(snapshot);
  tick.decision.order = order.map((o) => o.job.jobId);
  for (const { job } of order) decide(tick, job);
  explain(tick);
  return tick.decision;
}

function startTick(snap: SchedulerSnapshot): Tick {
  const owners = new Map<string, { jobs: number; cpus: number }>();
  let holding = 0;
  for (const job of snap.jobs) {
    if (job.heldWorkers <= 0) continue;
    holding++;
    const o = ownerUse(owners, job.owner);
    o.jobs++;
    if (job.pool === 'local') o.cpus += job.perWorker.cpus * job.heldWorkers;
  }
  const decision: Decision = { grants: [], preemptions: [], waiting: new Map(), order: [], reservation: null };
  return { snap, pools: poolStates(snap.pools, snap.jobs, snap.now), holding, owners, taken: noneTaken(), candidates: preemptionCandidates(snap.jobs), decision, pending: [] };
}

function decide(tick: Tick, job: JobDemand): void {
  const state = tick.pools.get(job.pool);
  if (!state || neverFits(state.capacity, job.perWorker)) return wait(tick, job, state, 'never_fits');
  const limit = admission(tick, job);
  if (limit.n <= 0) return wait(tick, job, state, limit.code, limit.detail);
  const fit = Math.min(limit.n, fitCount(state.free, job.perWorker));
  if (fit <= 0) return cannotStart(tick, job, state);
  const n = state.head ? backfill(tick, job, state, fit) : fit;
  if (n <= 0) return wait(tick, job, state, 'reservation', reservationClause(state, tick.snap.now));
  grant(tick, job, state, n);
}

/** How many more workers max_jobs and the owner's quota allow (want, when nothing limits). */
function admission(tick: Tick, job: JobDemand): { n: number; code: WaitCode; detail?: string } {
  const want = job.wantWorkers - job.heldWorkers;
  const { maxJobs, quotas } = tick.snap.settings;
  if (job.heldWorkers === 0 && maxJobs !== null && tick.holding >= maxJobs) {
    return { n: 0, code: 'max_jobs', detail: `max_jobs reached: ${jobs(tick.holding)} running, limit ${maxJobs}` };
  }
  const quota = quotas[job.owner];
  const used = ownerUse(tick.owners, job.owner);
  if (quota?.maxJobs !== undefined && job.heldWorkers === 0 && used.jobs >= quota.maxJobs) {
    return { n: 0, code: 'quota', detail: `owner ${job.owner} is at its quota: ${jobs(used.jobs)} running, max_jobs ${quota.maxJobs}` };
  }
  if (quota?.cpus !== undefined && job.pool === 'local' && job.perWorker.cpus > 0) {
    const room = Math.floor((quota.cpus - used.cpus) / job.perWorker.cpus + 1e-9);
    if (job.perWorker.cpus > quota.cpus + 1e-9) {
      return { n: 0, code: 'quota', detail: `one worker needs ${job.perWorker.cpus} cpus, more than owner ${job.owner}'s whole quota of ${quota.cpus} cpus: it cannot start until the quota is raised` };
    }
    if (room <= 0) return { n: 0, code: 'quota', detail: `owner ${job.owner} holds ${used.cpus} of its quota of ${quota.cpus} cpus` };
    return { n: Math.min(want, room), code: 'quota' };
  }
  return { n: want, code: 'resources' };
}

/** Not one worker fits now: the pool's head gets a reservation, and may preempt. */
function cannotStart(tick: Tick, job: JobDemand, state: PoolState): void {
  if (!state.head) {
    state.head = reserve(state, job.jobId, job.perWorker);
    if (!tick.decision.reservation && state.head.startAt !== null) tick.decision.reservation = { jobId: job.jobId, startAt: state.head.startAt };
  }
  const { preemptAtOrAbove } = tick.snap.settings;
  let note: string | undefined;
  if (preemptAtOrAbove !== null && job.priority >= preemptAtOrAbove && job.heldWorkers === 0) {
    const chosen = choosePreemptions(job, state, tick.candidates.get(job.pool) ?? [], tick.taken);
    tick.decision.preemptions.push(...chosen.preemptions);
    const taking = chosen.preemptions.map((p) => `${p.workers} worker${p.workers === 1 ? '' : 's'} of ${p.jobId}`);
    if (taking.length > 0) note = `taking back ${taking.join(', ')}`;
    // It starts as soon as those workers exit: backfill must leave it what they free.
    if (chosen.coming && state.head.jobId === job.jobId) state.head = reserveSoon(job, chosen.coming, tick.snap.now);
  }
  wait(tick, job, state, state.waiting > 0 ? 'priority' : 'resources', undefined, note);
}

/** EASY backfill: start now only if it ends before the head's start, or uses only what the head will not need. */
function backfill(tick: Tick, job: JobDemand, state: PoolState, fit: number): number {
  const head = state.head!;
  const runMs = job.heldWorkers > 0 ? (job.remainingMs ?? job.runMs) : job.runMs;
  if (head.exact && head.startAt !== null && runMs !== null && tick.snap.now + runMs <= head.startAt) return fit;
  const n = Math.min(fit, fitCount(head.extra, job.perWorker));
  if (n > 0) take(head.extra, job.perWorker, n);
  return n;
}

function grant(tick: Tick, job: JobDemand, state: PoolState, n: number): void {
  take(state.free, job.perWorker, n);
  tick.decision.grants.push({ jobId: job.jobId, workers: n });
  const owner = ownerUse(tick.owners, job.owner);
  if (job.heldWorkers === 0) {
    tick.holding++;
    owner.jobs++;
  }
  if (job.pool === 'local') owner.cpus += job.perWorker.cpus * n;
  const runMs = job.heldWorkers > 0 ? (job.remainingMs ?? job.runMs) : job.runMs;
  addHolder(state, job.perWorker, n, runMs, tick.snap.now);
}

function wait(tick: Tick, job: JobDemand, state: PoolState | undefined, code: WaitCode, detail?: string, note?: string): void {
  const jobsAhead = state?.waiting ?? 0;
  if (state && code !== 'never_fits') state.waiting++;
  tick.pending.push({ job, code, position: jobsAhead + 1, jobsAhead, detail, note });
}

function reservationClause(state: PoolState, now: number): string {
  const head = state.head!;
  const when = head.startAt === null ? '' : ` (est. in ~${roughly(head.startAt - now)})`;
  return `fits now, but would delay ${head.jobId}, which has the reservation${when}`;
}

/** Build every waiting job's reason, with start estimates per pool. */
function explain(tick: Tick): void {
  const byPool = new Map<string, PendingWait[]>();
  for (const w of tick.pending) {
    const list = byPool.get(w.job.pool);
    if (list) list.push(w);
    else byPool.set(w.job.pool, [w]);
  }
  const none = { cpus: 0, memoryBytes: 0, gpus: 0, workers: 0 };
  for (const [name, waits] of byPool) {
    const state = tick.pools.get(name);
    const queued = waits.filter((w) => w.code === 'resources' || w.code === 'priority' || w.code === 'reservation').map((w) => w.job);
    const estimates = state ? estimateStarts(state, queued, tick.snap.now) : new Map<string, number | null>();
    const shortages = new Map<string, string>();
    for (const w of waits) tick.decision.waiting.set(w.job.jobId, waitReason(w, state?.capacity, state?.free ?? none, estimates.get(w.job.jobId) ?? null, shortages));
  }
}

function jobs(n: number): string {
  return n === 1 ? '1 job' : `${n} jobs`;
}

function ownerUse(owners: Tick['owners'], owner: string): { jobs: number; cpus: number } {
  let o = owners.get(owner);
  if (!o) owners.set(owner, (o = { jobs: 0, cpus: 0 }));
  return o;
}
