/**
 * A waiting job's reason in words and numbers: "needs 4 cpus, 1 free; 2 jobs
 * ahead; est. start in ~3m from recent throughput".
 */
import type { Free } from './capacity.js';
import type { JobDemand, PoolCapacity, WaitCode, WaitReason, WorkerResources } from './types.js';

export interface PendingWait {
  job: JobDemand;
  code: WaitCode;
  position: number;
  jobsAhead: number;
  /** A clause that replaces the shortage ("max_jobs reached: 4 jobs running, limit 4"). */
  detail?: string;
  /** A clause appended ("taking back 2 workers of job X"). */
  note?: string;
}

/**
 * `shortages`: the shortage clause by worker size, for one pool's free
 * capacity (the same for every job of the pool in a tick, and most jobs share
 * a few sizes).
 */
export function waitReason(w: PendingWait, capacity: PoolCapacity | undefined, free: Free, estimate: number | null, shortages = new Map<string, string>()): WaitReason {
  const shown = { cpus: Math.max(0, free.cpus), memoryBytes: Math.max(0, free.memoryBytes), gpus: Math.max(0, free.gpus) };
  const parts: string[] = [];
  if (w.code === 'never_fits') parts.push(neverFitsClause(w.job, capacity));
  else {
    parts.push(w.detail ?? shortageOf(w.job.perWorker, free, capacity, shortages));
    parts.push(w.jobsAhead === 1 ? '1 job ahead' : `${w.jobsAhead} jobs ahead`);
    if (w.code !== 'max_jobs' && w.code !== 'quota') parts.push(estimate === null ? 'no start estimate yet (no running job has a known remaining time)' : `est. start in ~${roughly(estimate)} from recent throughput`);
    if (w.note) parts.push(w.note);
  }
  return {
    code: w.code,
    message: parts.join('; '),
    position: w.position,
    jobsAhead: w.jobsAhead,
    need: { ...w.job.perWorker },
    free: shown,
    estimatedStartMs: w.code === 'never_fits' ? null : estimate,
  };
}

function shortageOf(need: WorkerResources, free: Free, capacity: PoolCapacity | undefined, cache: Map<string, string>): string {
  const key = `${need.cpus}/${need.memoryBytes}/${need.gpus}`;
  let text = cache.get(key);
  if (text === undefined) cache.set(key, (text = shortage(need, free, capacity)));
  return text;
}

/** What one worker needs that is not free (the cpus asked and free, when nothing is short). */
export function shortage(need: WorkerResources, free: Free, capacity: PoolCapacity | undefined): string {
  const short: string[] = [];
  if (need.cpus > free.cpus + 1e-9) short.push(`${num(need.cpus)} ${plural(need.cpus, 'cpu')}, ${num(Math.max(0, free.cpus))} free`);
  if (need.memoryBytes > free.memoryBytes) short.push(`${bytes(need.memoryBytes)} memory, ${bytes(Math.max(0, free.memoryBytes))} free`);
  if (need.gpus > free.gpus) short.push(`${num(need.gpus)} ${plural(need.gpus, 'gpu')}, ${num(Math.max(0, free.gpus))} free`);
  const slots = free.workers < 1 ? `all ${capacity ? num(capacity.maxWorkers) : 0} workers of the ${capacity?.pool ?? 'pool'} pool are taken` : null;
  const needs = short.length > 0 ? `needs ${short.join(', and ')}` : null;
  if (needs && slots) return `${needs}; ${slots}`;
  return needs ?? slots ?? `needs ${num(need.cpus)} ${plural(need.cpus, 'cpu')}, ${num(Math.max(0, free.cpus))} free`;
}

function neverFitsClause(job: JobDemand, capacity: PoolCapacity | undefined): string {
  const name = job.pool;
  if (!capacity) return `can never start: no ${name} pool is configured`;
  const per = job.perWorker;
  const over: string[] = [];
  if (per.cpus > capacity.cpus) over.push(`${num(per.cpus)} cpus, the ${name} pool has ${num(capacity.cpus)}`);
  if (per.memoryBytes > capacity.memoryBytes) over.push(`${bytes(per.memoryBytes)} memory, the ${name} pool has ${bytes(capacity.memoryBytes)}`);
  if (per.gpus > capacity.gpus) over.push(`${num(per.gpus)} gpus, the ${name} pool has ${num(capacity.gpus)}`);
  if (over.length === 0) return `can never start: the ${name} pool allows no workers`;
  return `can never start: one worker needs ${over.join('; ')}`;
}

/** "~45s", "~3m", "~2h". */
export function roughly(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 360) / 10}h`;
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

function bytes(n: number): string {
  const gib = n / 1024 ** 3;
  if (gib >= 1) return `${num(Math.round(gib * 10) / 10)}GiB`;
  return `${num(Math.round((n / 1024 ** 2) * 10) / 10)}MiB`;
}
