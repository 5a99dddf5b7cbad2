/**
 * Helpers of the scheduler's end-to-end tests (local and AWS): sleep jobs
 * with declared resources, a daemon with a declared capacity, and what the
 * daemon records: each worker's allocation (cpus, start, end) on its job.
 * Orders and overlaps are read from recorded times, never from the clock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CliResult } from './helpers.js';
import { waitFor } from './helpers.js';

export interface SleepJob {
  name: string;
  tasks?: number;
  /** Seconds each task sleeps. */
  sleep?: number;
  workers?: number;
  cpus?: number;
  priority?: string;
  labels?: Record<string, string>;
  /**
   * A file name (in the job's directory): every task but the first waits for
   * it to exist instead of sleeping, so the test decides when the job ends.
   */
  gate?: string;
}

/** Writes <name>.yaml and its input (one record per task); returns the file name. */
export function writeSleepJob(dir: string, j: SleepJob): string {
  const tasks = j.tasks ?? 1;
  writeFileSync(join(dir, `${j.name}.jsonl`), Array.from({ length: tasks }, (_, i) => `{"n":${i}}\n`).join(''));
  const labels = j.labels ? `labels: ${JSON.stringify(j.labels)}\n` : '';
  const priority = j.priority ? `priority: ${j.priority}\n` : '';
  writeFileSync(join(dir, `${j.name}.yaml`), `name: ${j.name}
${labels}${priority}input: { path: ${j.name}.jsonl, batch: { records: 1 } }
handler: { command: ${JSON.stringify(sleepCommand(j))} }
compute: { workers: ${j.workers ?? 1}, resources: { cpus: ${j.cpus ?? 1} } }
output: { path: out-${j.name}.jsonl }
`);
  return `${j.name}.yaml`;
}

function sleepCommand(j: SleepJob): string {
  const sleep = `sleep ${j.sleep ?? 0.3}`;
  if (!j.gate) return `${sleep}; cat`;
  return `IN=$(cat); case "$IN" in '{"n":0}') ${sleep} ;; *) until [ -e ${j.gate} ]; do sleep 0.1; done ;; esac; printf '%s\\n' "$IN"`;
}

export type Run = (args: string[]) => Promise<CliResult>;

/** `djc submit` of a sleep job; returns its id. */
export async function submit(run: Run, dir: string, j: SleepJob, extra: string[] = []): Promise<string> {
  const r = await run(['submit', writeSleepJob(dir, j), ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

export interface Allocation {
  workerId: string;
  cpus: number;
  startedAt: string;
  endedAt: string | null;
}

export interface JobDoc {
  jobId: string;
  name: string;
  status: string;
  reason: string | null;
  error: string | null;
  owner: string;
  priority: string | number;
  workers?: { allocations?: Allocation[] };
}

export async function statusOf(run: Run, jobId: string): Promise<JobDoc> {
  const r = await run(['status', jobId, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as JobDoc;
}

/** Waits until every job ended; returns their documents. */
export async function waitAll(run: Run, jobIds: readonly string[]): Promise<JobDoc[]> {
  const docs: JobDoc[] = [];
  for (const id of jobIds) {
    const w = await run(['wait', id, '--json', '--interval', '200ms']);
    expect(w.code, `${id}: ${w.stdout}${w.stderr}`).toBe(0);
    // The job ends first; its coordinator then stops the workers and records when each ended.
    docs.push(await waitFor(`${id}: every worker's end recorded`, async () => {
      const doc = await statusOf(run, id);
      return (doc.workers?.allocations ?? []).every((a) => a.endedAt !== null) ? doc : undefined;
    }, 30_000));
  }
  return docs;
}

export async function waitStatus(run: Run, jobId: string, status: string, timeoutMs = 60_000): Promise<JobDoc> {
  return waitFor(`${jobId} ${status}`, async () => {
    const doc = await statusOf(run, jobId);
    return doc.status === status ? doc : undefined;
  }, timeoutMs);
}

const ms = (iso: string) => Date.parse(iso);

/** When the job's first worker started (epoch ms). */
export function firstStart(doc: JobDoc): number {
  const a = doc.workers?.allocations ?? [];
  expect(a.length, `${doc.name} has recorded allocations`).toBeGreaterThan(0);
  return Math.min(...a.map((x) => ms(x.startedAt)));
}

/** When the job's last worker ended (epoch ms). */
export function lastEnd(doc: JobDoc): number {
  const a = doc.workers?.allocations ?? [];
  expect(a.every((x) => x.endedAt !== null), `${doc.name}: every worker ended`).toBe(true);
  return Math.max(...a.map((x) => ms(x.endedAt as string)));
}

/** Job names by the start of their first worker. */
export function startOrder(docs: readonly JobDoc[]): string[] {
  return [...docs].sort((a, b) => firstStart(a) - firstStart(b)).map((d) => d.name);
}

/** The most CPUs held at any moment over all the jobs' recorded allocations (an end frees before a start at the same instant). */
export function peakCpus(docs: readonly JobDoc[]): number {
  const events: [number, number][] = [];
  for (const d of docs) {
    for (const a of d.workers?.allocations ?? []) {
      events.push([ms(a.startedAt), a.cpus]);
      events.push([a.endedAt === null ? Infinity : ms(a.endedAt), -a.cpus]);
    }
  }
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of events) {
    now += d;
    peak = Math.max(peak, now);
  }
  return peak;
}
