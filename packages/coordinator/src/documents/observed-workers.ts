/**
 * The job's workers record is the coordinator's view, written when it
 * changes. A local worker killed while no coordinator watched (its `djc run`
 * was killed first, or the daemon is down) would stay "running" in it
 * forever. A reader on the workers' host checks their pids: the record it
 * shows counts a worker whose process is gone as GONE, not RUNNING.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { JobRecord, WorkerAllocation, WorkersRecord } from '@djc/core';
import { groupSummary } from '../dispatch/dispatcher.js';

/** True while the process `pid` is the worker `workerId` (its argv names it: a reused pid is not). */
export type WorkerProbe = (pid: number, workerId: string) => boolean;

/** The job with its workers record checked against this host's processes (unchanged when nothing is gone). */
export function observedWorkers(job: JobRecord, probe: WorkerProbe = workerProcessAlive, host = hostname()): JobRecord {
  const workers = job.workers;
  if (!workers || workers.dispatcher !== 'local' || !workers.allocations) return job;
  const isGone = (a: WorkerAllocation) => a.endedAt === null && a.gone !== true && a.host === host && a.pid !== undefined && !probe(a.pid, a.workerId);
  const gone = new Set(workers.allocations.filter(isGone).map((a) => a.workerId));
  if (gone.size === 0) return job;
  return { ...job, workers: withGone(workers, gone) };
}

function withGone(workers: WorkersRecord, gone: ReadonlySet<string>): WorkersRecord {
  const groups = workers.groups.flatMap((g) => {
    if (g.state !== 'RUNNING') return [g];
    const count = g.count - gone.size;
    return count > 0 ? [{ ...g, count }] : [];
  });
  const prior = groups.find((g) => g.state === 'GONE');
  if (prior) prior.count += gone.size;
  else groups.push({ state: 'GONE', reason: 'process not found', count: gone.size });
  return {
    ...workers,
    groups,
    allocations: (workers.allocations ?? []).map((a) => (gone.has(a.workerId) ? { ...a, gone: true as const } : a)),
    summary: `local processes: ${groupSummary(groups)}`,
  };
}

/**
 * Linux: the pid's argv names the worker and it is not a zombie. Elsewhere
 * (no /proc): the pid exists.
 */
export function workerProcessAlive(pid: number, workerId: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').includes(workerId);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || process.platform === 'linux') return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
