/**
 * Chaos: DJC_HOME's disk fills up in the middle of `djc run`. The home
 * lives on a small tmpfs mounted for the test (root, as the Slurm tests
 * are); a ballast file takes the free space once tasks are running. `djc
 * run` must stop with exit 3 naming the home and the fix (not 70), leave no
 * worker behind and the job unfinished but readable; once the ballast is
 * gone, a coordinator finishes the job with every record exactly once.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { djc, djcStart, makeSandbox, leakedProcesses, waitFor, workerPids } from '../helpers.js';
import { exactness, recordFigures } from './harness.js';

const RECORDS = 3000;
let box: ReturnType<typeof makeSandbox> | null = null;
let mounted: string | null = null;

afterEach(async () => {
  const b = box;
  box = null;
  if (!b) return;
  const left = await leakedProcesses(b.home);
  if (mounted) execFileSync('umount', ['-l', mounted]);
  mounted = null;
  b.cleanup();
  expect(left).toEqual([]);
});

/** A tmpfs of `size` at `dir` (the test's own mount, removed after it). */
function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`the disk-full chaos test mounts a tmpfs and needs root (as the Slurm tests do): ${(e as Error).message}`);
  }
  mounted = dir;
}

/** Writes `file` until the disk has no byte left (ENOSPC); returns the bytes written. */
function fillDisk(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1 << 20, 7);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  // The last partial megabyte: byte by byte would be slow; 4 KiB pages finish it.
  const page = Buffer.alloc(4096, 7);
  try {
    for (;;) written += writeSync(fd, page);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  closeSync(fd);
  return written;
}

interface Status { status: string; tasks: { total: number; succeeded: number; failed: number }; records: { processed: number } }

describe('chaos: the disk of DJC_HOME fills up mid-job', () => {
  it('djc run exits 3 naming the home and the fix, nothing is corrupted, and the job completes exactly once space returns', async () => {
    const b = makeSandbox('djc-chaos-disk-');
    box = b;
    const disk = join(b.dir, 'disk');
    mountTmpfs(disk, '48m');
    const home = join(disk, '.djc');
    const at = { cwd: b.dir, home };
    writeFileSync(join(b.dir, 'in.jsonl'), Array.from({ length: RECORDS }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(100)}"}\n`).join(''));
    writeFileSync(join(b.dir, 'h.mjs'), 'export async function echo(records) { await new Promise((r) => setTimeout(r, 20)); return records; }\n');
    writeFileSync(join(b.dir, 'job.yaml'), `name: diskfull
input: { path: in.jsonl, batch: { records: 5 } }
handler: { module: ./h.mjs#echo }
compute: { workers: 2, lease: 3s }
output: { path: out.jsonl }
`);
    const run = djcStart(['run', 'job.yaml'], at);
    const jobId = (await waitFor('the job id', async () => /djc: job (\S+) submitted/.exec(run.stderr())))[1] as string;
    await waitFor('tasks succeeding', async () => {
      const s = await djc(['status', jobId, '--json'], at);
      return s.code === 0 && (JSON.parse(s.stdout) as Status).tasks.succeeded >= 20;
    });
    const ballast = join(disk, 'ballast');
    fillDisk(ballast);

    const r = await run.done;
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`djc: the disk of DJC_HOME (${home}) is full: stopped coordinating job ${jobId}, left unfinished to resume`);
    expect(r.stderr).toContain(`hint: free space in DJC_HOME (${home}), then finish the job: djc retry ${jobId}`);
    expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
    expect(r.stderr).not.toContain('a bug in djc');
    await waitFor('the workers stopped', async () => workerPids(home).length === 0, 20_000);

    // Still full: reading works, and the job is unfinished (not FAILED, not SUCCEEDED).
    const held = await djc(['status', jobId, '--json'], at);
    expect(held.code, held.stderr).toBe(0);
    const mid = JSON.parse(held.stdout) as Status;
    expect(['RUNNING', 'PREPARING', 'FINALIZING']).toContain(mid.status);
    expect(mid.tasks.succeeded).toBeLessThan(mid.tasks.total);

    // Space returns: the hint's `djc retry` takes the job over here (its djc run stopped marking it) and finishes it.
    rmSync(ballast);
    const stale = { ...at, env: { DJC_COORDINATOR_STALE_SECONDS: '2' } };
    await waitFor('the job is orphaned', async () => {
      const s = await djc(['status', jobId, '--json'], stale);
      return (JSON.parse(s.stdout) as { coordinator?: { orphaned?: boolean } }).coordinator?.orphaned === true;
    }, 30_000);
    const retried = await djc(['retry', jobId], stale);
    expect(retried.code, retried.stderr).toBe(0);
    const end = JSON.parse((await djc(['status', jobId, '--json'], at)).stdout) as Status;
    expect(end).toMatchObject({ status: 'SUCCEEDED', tasks: { total: RECORDS / 5, succeeded: RECORDS / 5, failed: 0 }, records: { processed: RECORDS } });
    const { lost, duplicated, foreign } = exactness(join(b.dir, 'out.jsonl'), RECORDS);
    const tasks = (JSON.parse((await djc(['tasks', jobId, '--json'], at)).stdout) as { tasks: { attempts: number }[] }).tasks;
    recordFigures({
      test: 'local: DJC_HOME disk full mid-job, then space back', backend: 'local', tasks: RECORDS / 5, records: RECORDS,
      lost, duplicated, attempts: tasks.reduce((s, t) => s + t.attempts, 0), workerKills: 0, coordinatorKills: 0, takeoverSeconds: [],
    });
    expect({ lost, duplicated, foreign }).toEqual({ lost: 0, duplicated: 0, foreign: 0 });
  });
});
