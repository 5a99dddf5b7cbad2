/**
 * `djc queue` and the reason `djc status` shows for a QUEUED job, through
 * the CLI, against a home whose queue document was written with
 * writeQueueDocument (the real blob store) from a real schedule() decision.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeQueueDocument } from '@djc/coordinator';
import { createLocalBackend } from '@djc/core/backends/local';
import { sandboxPerTest } from './helpers.js';
import { jobFiles, MINUTE, sampleQueue } from './queue-helpers.js';

const box = sandboxPerTest();

function jobFile(): void {
  for (const [name, text] of Object.entries(jobFiles())) writeFileSync(join(box.dir, name), text);
}

/** Submits a job and puts it in QUEUED with the daemon's one-line reason; its id. */
async function queuedJob(): Promise<string> {
  const s = await box.run(['submit', 'job.yaml', '--json']);
  expect(s.code, s.stderr).toBe(0);
  const { jobId } = JSON.parse(s.stdout) as { jobId: string };
  const backend = createLocalBackend({ home: box.home });
  try {
    await backend.state.transitionJob(jobId, ['SUBMITTED'], 'QUEUED', { reason: 'waiting for workers' });
  } finally {
    await backend.close();
  }
  return jobId;
}

/** A 4-cpu machine (sampleQueue), written with writeQueueDocument to the sandbox's home. */
async function writeDocument(bigId: string, now: number): Promise<void> {
  const backend = createLocalBackend({ home: box.home });
  try {
    await writeQueueDocument(backend, sampleQueue(bigId, now));
  } finally {
    await backend.close();
  }
}

describe('djc queue', () => {
  it('says when no coordinator has written a queue, and prints an empty JSON answer', async () => {
    const human = await box.run(['queue']);
    expect(human).toMatchObject({ code: 0, stdout: '' });
    expect(human.stderr).toContain('no queue yet: no coordinator has decided one');
    const json = await box.run(['queue', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ queue: null, ageMs: null, stale: false });
  });

  it('shows each job with position, priority, owner, resources, workers and the reason, and the class lines', async () => {
    jobFile();
    const bigId = await queuedJob();
    await writeDocument(bigId, Date.now());
    const r = await box.run(['queue']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^decided {2}\S+Z \(\S+ ago\) by djc coordinator on testhost \(pid 1\)$/);
    expect(r.stdout).toContain('pool     local: 3 of 4 cpus, 2GiB of 16GiB memory, 1 worker in use');
    expect(r.stdout).toContain('pool     slurm: 0 workers in use (no limit)');
    expect(r.stdout).toMatch(new RegExp(`^reserved ${bigId}: est\\. start at \\S+Z \\(~3m after this decision\\); backfill may not delay it$`, 'm'));
    const header = lines.findIndex((l) => l.startsWith('POS'));
    expect(lines[header]).toMatch(/^POS\s+JOB\s+NAME\s+PRIORITY\s+OWNER\s+PER WORKER\s+WORKERS\s+STATUS\s+REASON$/);
    // Running first, then the waiting jobs in grant order.
    expect(lines[header + 1]).toMatch(/^-\s+job-run\s+render\s+high\s+bob\s+3 cpus 2GiB\s+1\/1\s+RUNNING$/);
    expect(lines[header + 2]).toMatch(new RegExp(`^1\\s+${bigId}\\s+big\\s+normal\\s+alice\\s+4 cpus\\s+0/1\\s+QUEUED\\s+needs 4 cpus, 1 free; 0 jobs ahead; est\\. start in ~3m from recent throughput$`));
    expect(lines[header + 3]).toMatch(/^2\s+job-low\s+sweep\s+low\s+carol\s+1 cpu\s+0\/2\s+QUEUED\s+fits now, but would delay \S+, which has the reservation \(est\. in ~3m\); 1 job ahead; est\. start in ~8m from recent throughput$/);
    const classes = lines.findIndex((l) => l.startsWith('CLASS'));
    expect(lines.slice(classes, classes + 4).map((l) => l.split(/\s{2,}/))).toEqual([
      ['CLASS', 'QUEUED', 'RUNNING', 'WAIT P50', 'WAIT P95'],
      ['high', '0', '1', '1m', '1m'],
      ['normal', '1', '0', '2m', '10m'],
      ['low', '1', '0', '-', '-'],
    ]);
  });

  it('prints the document as JSON, unlimited capacities as null', async () => {
    jobFile();
    const bigId = await queuedJob();
    await writeDocument(bigId, Date.now());
    const r = await box.run(['queue', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { queue: { at: string; reservation: { jobId: string; startAt: string }; pools: { pool: string; maxWorkers: number | null }[]; jobs: { jobId: string; position: number | null; reason: { code: string; jobsAhead: number; need: { cpus: number }; free: { cpus: number }; estimatedStartMs: number } | null }[] }; stale: boolean; ageMs: number };
    expect(out.stale).toBe(false);
    expect(out.ageMs).toBeGreaterThanOrEqual(0);
    expect(out.queue.pools.map((p) => [p.pool, p.maxWorkers])).toEqual([['local', null], ['slurm', null]]);
    const big = out.queue.jobs.find((j) => j.jobId === bigId)!;
    expect(big).toMatchObject({ position: 1, reason: { code: 'resources', jobsAhead: 0, need: { cpus: 4 }, free: { cpus: 1 }, estimatedStartMs: 3 * MINUTE } });
    expect(out.queue.jobs.find((j) => j.jobId === 'job-low')?.reason?.code).toBe('reservation');
    expect(out.queue.reservation.jobId).toBe(bigId);
    expect(Date.parse(out.queue.reservation.startAt) - Date.parse(out.queue.at)).toBe(3 * MINUTE);
  });

  it('says the queue is stale when the coordinator last decided long ago', async () => {
    jobFile();
    const bigId = await queuedJob();
    const at = Date.now() - 5 * MINUTE;
    await writeDocument(bigId, at);
    const r = await box.run(['queue']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`djc: this queue is stale: the coordinator last decided at ${new Date(at).toISOString()}, 5m`);
    expect(r.stdout).toContain(bigId);
    expect(JSON.parse((await box.run(['queue', '--json'])).stdout)).toMatchObject({ stale: true });
  });

  it('refuses a document it cannot read with exit 3 and where it is', async () => {
    mkdirSync(join(box.home, 'blobs', 'scheduler'), { recursive: true });
    const backend = createLocalBackend({ home: box.home });
    try {
      await backend.blobs.put('scheduler/queue.json', '{"version": 99}');
    } finally {
      await backend.close();
    }
    const r = await box.run(['queue']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the queue document \S*scheduler\/queue\.json cannot be read: version does not match \(written by another version of djc\?\)/);
  });
});

describe('djc status of a QUEUED job', () => {
  it('prints the reason in words and numbers from the queue document', async () => {
    jobFile();
    const bigId = await queuedJob();
    await writeDocument(bigId, Date.now());
    const r = await box.run(['status', bigId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^status {3}QUEUED/m);
    expect(r.stdout).toContain('waiting  needs 4 cpus, 1 free; 0 jobs ahead; est. start in ~3m from recent throughput');
    const json = JSON.parse((await box.run(['status', bigId, '--json'])).stdout) as { status: string; queueReason: { code: string; position: number } };
    expect(json).toMatchObject({ status: 'QUEUED', queueReason: { code: 'resources', position: 1 } });
  });

  it('falls back to the job record’s reason when no document lists the job', async () => {
    jobFile();
    const bigId = await queuedJob();
    const r = await box.run(['status', bigId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('waiting  waiting for workers');
  });
});
