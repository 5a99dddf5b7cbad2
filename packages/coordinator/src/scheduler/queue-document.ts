/**
 * The queue document (what `djc queue` and `djc status` show) from one
 * tick's snapshot and decision: every job that holds or wants workers, with
 * its effective priority, position and reason; the pools with what they
 * use; and per priority class the queue length and the p50/p95 wait of the
 * jobs that started in the last hour.
 */
import { PRIORITY_CLASSES } from '@djc/core/read';
import { effectivePriority } from './order.js';
import type { Decision, JobDemand, QueueDocument, QueueEntry, SchedulerSnapshot, WorkerResources } from './types.js';

export const QUEUE_DOCUMENT_VERSION = 1;
const HOUR = 3_600_000;

/** A job that got its first worker: when it entered the queue and when it started (epoch ms). */
export interface JobStart {
  priority: number;
  queuedAt: number;
  startedAt: number;
}

export interface QueueDocumentInput {
  snapshot: SchedulerSnapshot;
  decision: Decision;
  /** Who decides ("djc coordinator on host (pid N)"). */
  coordinator: string;
  /** Job starts the daemon has seen (older than an hour are ignored). */
  recentStarts: readonly JobStart[];
}

export function buildQueueDocument({ snapshot, decision, coordinator, recentStarts }: QueueDocumentInput): QueueDocument {
  const granted = new Map(decision.grants.map((g) => [g.jobId, g.workers]));
  const rank = new Map(decision.order.map((id, i) => [id, i]));
  const held = (job: JobDemand) => job.heldWorkers + (granted.get(job.jobId) ?? 0);
  // Jobs that hold workers first (by effective priority), then the waiting ones in grant order.
  const keyed = snapshot.jobs.map((job) => {
    const e = entry(job, held(job), snapshot, decision);
    return { e, waits: e.reason === null ? 0 : 1, rank: rank.get(job.jobId) ?? -1 };
  });
  keyed.sort((a, b) => a.waits - b.waits || (a.waits === 0 ? b.e.effectivePriority - a.e.effectivePriority : a.rank - b.rank));
  const entries = keyed.map((k) => k.e);
  const pools = snapshot.pools.map((pool) => {
    const used = { cpus: 0, memoryBytes: 0, gpus: 0, workers: 0 };
    for (const job of snapshot.jobs) if (job.pool === pool.pool) addUse(used, job.perWorker, held(job));
    return { ...pool, used };
  });
  const reservation = decision.reservation && { jobId: decision.reservation.jobId, startAt: new Date(decision.reservation.startAt).toISOString() };
  const doc: QueueDocument = { version: QUEUE_DOCUMENT_VERSION, at: new Date(snapshot.now).toISOString(), coordinator, pools, jobs: entries, reservation, classes: [] };
  doc.classes = classLines(snapshot, entries, recentStarts);
  return doc;
}

function entry(job: JobDemand, held: number, snapshot: SchedulerSnapshot, decision: Decision): QueueEntry {
  const reason = decision.waiting.get(job.jobId) ?? null;
  return {
    jobId: job.jobId,
    name: job.name,
    status: job.status,
    owner: job.owner,
    priority: priorityLabel(job.priority),
    effectivePriority: effectivePriority(job, snapshot.now, snapshot.settings.agingIntervalMs),
    position: reason && reason.code !== 'never_fits' ? reason.position : null,
    resources: { ...job.perWorker },
    workersHeld: held,
    workersWanted: job.wantWorkers,
    submittedAt: new Date(job.submittedAt).toISOString(),
    reason,
  };
}

/** "urgent", "high", "normal", "low" for the class values, else the integer. */
export function priorityLabel(priority: number): string {
  for (const [name, value] of Object.entries(PRIORITY_CLASSES)) if (value === priority) return name;
  return String(priority);
}

function addUse(used: WorkerResources & { workers: number }, per: WorkerResources, n: number): void {
  used.cpus += per.cpus * n;
  used.memoryBytes += per.memoryBytes * n;
  used.gpus += per.gpus * n;
  used.workers += n;
}

function classLines(snapshot: SchedulerSnapshot, entries: readonly QueueEntry[], starts: readonly JobStart[]): QueueDocument['classes'] {
  const byClass = new Map<number, { queued: number; running: number; waits: number[] }>();
  const line = (p: number) => byClass.get(p) ?? byClass.set(p, { queued: 0, running: 0, waits: [] }).get(p)!;
  const numeric = new Map(snapshot.jobs.map((j) => [j.jobId, j.priority]));
  for (const e of entries) {
    const l = line(numeric.get(e.jobId)!);
    if (e.workersHeld > 0) l.running++;
    else if (e.reason) l.queued++;
  }
  for (const s of starts) if (s.startedAt >= snapshot.now - HOUR && s.startedAt <= snapshot.now) line(s.priority).waits.push(Math.max(0, s.startedAt - s.queuedAt));
  return [...byClass.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([p, l]) => {
      const waits = l.waits.sort((a, b) => a - b);
      return { priority: priorityLabel(p), queued: l.queued, running: l.running, waitP50Ms: percentile(waits, 0.5), waitP95Ms: percentile(waits, 0.95) };
    });
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
