/**
 * `djc queue` for a human: who decided and when, the pools, one row per job
 * (running first, then waiting in grant order) and one line per priority
 * class.
 */
import { formatDuration, formatSize, PRIORITY_CLASSES } from '@djc/core';
import type { QueueDocument, QueueEntry, WorkerResources } from '@djc/coordinator';
import { table } from './format.js';

export function formatQueue(doc: QueueDocument, now = Date.now()): string {
  const lines = [`decided  ${doc.at} (${formatDuration(Math.max(0, now - Date.parse(doc.at)))} ago) by ${doc.coordinator}`];
  for (const p of doc.pools) lines.push(`pool     ${p.pool}: ${poolUse(p)}`);
  if (doc.reservation) {
    const inMs = Date.parse(doc.reservation.startAt) - Date.parse(doc.at);
    lines.push(`reserved ${doc.reservation.jobId}: est. start at ${doc.reservation.startAt} (~${formatDuration(Math.max(0, inMs))} after this decision); backfill may not delay it`);
  }
  lines.push('');
  if (doc.jobs.length === 0) lines.push('no jobs hold or want workers');
  else lines.push(table(['POS', 'JOB', 'NAME', 'PRIORITY', 'OWNER', 'PER WORKER', 'WORKERS', 'STATUS', 'REASON'], doc.jobs.map(row)));
  if (doc.classes.length > 0) {
    lines.push('');
    lines.push(table(['CLASS', 'QUEUED', 'RUNNING', 'WAIT P50', 'WAIT P95'], doc.classes.map((c) => [c.priority, String(c.queued), String(c.running), wait(c.waitP50Ms), wait(c.waitP95Ms)])));
    lines.push('(waits of the jobs started in the last hour)');
  }
  return lines.join('\n');
}

function row(e: QueueEntry): string[] {
  return [
    e.position === null ? '-' : String(e.position),
    e.jobId,
    e.name,
    priority(e),
    e.owner,
    resources(e.resources),
    `${e.workersHeld}/${e.workersWanted}`,
    e.status,
    e.reason?.message ?? (e.status === 'QUEUED' || e.status === 'SUBMITTED' ? 'granted: starting' : ''),
  ];
}

/** "normal", or "low (aged to 30)" when the age term raised it. */
function priority(e: QueueEntry): string {
  const base = (PRIORITY_CLASSES as Record<string, number>)[e.priority] ?? Number(e.priority);
  return e.effectivePriority > base ? `${e.priority} (aged to ${e.effectivePriority})` : e.priority;
}

export function resources(r: WorkerResources): string {
  const parts = [`${r.cpus} cpu${r.cpus === 1 ? '' : 's'}`];
  if (r.memoryBytes > 0) parts.push(formatSize(r.memoryBytes));
  if (r.gpus > 0) parts.push(`${r.gpus} gpu${r.gpus === 1 ? '' : 's'}`);
  return parts.join(' ');
}

function poolUse(p: QueueDocument['pools'][number]): string {
  const of = (used: string, cap: number, total: string) => (cap === Infinity ? used : `${used} of ${total}`);
  const parts: string[] = [];
  if (p.cpus !== Infinity) parts.push(`${of(String(round(p.used.cpus)), p.cpus, String(p.cpus))} cpus`);
  if (p.memoryBytes !== Infinity) parts.push(`${of(formatSize(p.used.memoryBytes), p.memoryBytes, formatSize(p.memoryBytes))} memory`);
  if (p.gpus !== Infinity && p.gpus > 0) parts.push(`${of(String(p.used.gpus), p.gpus, String(p.gpus))} gpus`);
  parts.push(`${of(String(p.used.workers), p.maxWorkers, String(p.maxWorkers))} worker${p.used.workers === 1 && p.maxWorkers === Infinity ? '' : 's'}`);
  return `${parts.join(', ')} in use${p.maxWorkers === Infinity && p.cpus === Infinity ? ' (no limit)' : ''}`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function wait(ms: number | null): string {
  return ms === null ? '-' : formatDuration(ms);
}
