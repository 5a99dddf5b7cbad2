/**
 * compute.resources on the REAL local Slurm cluster (scripts/slurm/up.sh: one
 * node `localhost` with CPUs=8, RealMemory=4096 (MiB), no GPUs, no cgroups,
 * so Slurm allocates CPUs and memory but enforces neither): what a user
 * checks with `scontrol show job`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { djc, leakedProcesses, makeSandbox, type CliResult } from './helpers.js';
import { assertSlurmUp, liveSlurmJobsUnder, scancelQuietly, scontrolShowJob, slurmJobsNamed } from './slurm-helpers.js';

const POLL = { DJC_SLURM_POLL_MS: '500' };

let box: ReturnType<typeof makeSandbox>;

beforeAll(async () => {
  await assertSlurmUp();
});

beforeEach(() => {
  box = makeSandbox('djc-slurm-res-');
});

afterEach(async () => {
  await scancelQuietly(await liveSlurmJobsUnder(box.dir));
  const leaked = await leakedProcesses(box.home, 20_000);
  box.cleanup();
  expect(leaked).toEqual([]);
});

function cli(args: string[]): Promise<CliResult> {
  return djc(args, { cwd: box.dir, home: box.home, env: POLL, timeoutMs: 120_000 });
}

/** A job of 4 records in 2 batches, echoed by a module handler, with this `compute`. */
function job(name: string, compute: string): string {
  writeFileSync(join(box.dir, 'numbers.jsonl'), [0, 1, 2, 3].map((n) => `{"n":${n}}\n`).join(''));
  writeFileSync(join(box.dir, 'echo.mjs'), 'export function echo(records) { return records; }\n');
  const file = join(box.dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}
input: { path: numbers.jsonl, batch: { records: 2 } }
handler: { module: ./echo.mjs#echo }
compute: ${compute}
output: { path: out-${name}.jsonl }
`);
  return file;
}

/** `scontrol show job` of the job's one array: one block per array task. */
async function arrayTasksOf(jobId: string): Promise<string[]> {
  const [arrayId, ...more] = await slurmJobsNamed(`djc-${jobId}`);
  expect(more).toEqual([]);
  const text = await scontrolShowJob(arrayId as string);
  return text.split(/\n(?=JobId=)/).filter((b) => b.startsWith('JobId='));
}

describe('compute.resources on Slurm', () => {
  it('cpus and memory become each array task\'s CPUs and memory, as scontrol shows them', async () => {
    const r = await cli(['run', job('res', '{ dispatcher: slurm, workers: 2, resources: { cpus: 2, memory: 300MiB } }')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const jobId = r.stdout.split(' ')[0] as string;
    const blocks = await arrayTasksOf(jobId);
    expect(blocks).toHaveLength(2);
    for (const b of blocks) {
      expect(b).toMatch(/\bNumCPUs=2\b/);
      expect(b).toMatch(/\bCPUs\/Task=2\b/);
      expect(b).toMatch(/\bMinMemoryNode=300M\b/);
      expect(b).toMatch(/\bJobState=COMPLETED\b/);
    }
  });

  it('compute.slurm cpus_per_task and mem override compute.resources', async () => {
    const r = await cli(['run', job('over', '{ dispatcher: slurm, workers: 1, resources: { cpus: 2, memory: 300MiB }, slurm: { cpus_per_task: 3, mem: 200M } }')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [b] = await arrayTasksOf(r.stdout.split(' ')[0] as string);
    expect(b).toMatch(/\bNumCPUs=3\b/);
    expect(b).toMatch(/\bMinMemoryNode=200M\b/);
  });

  it('gpus on a cluster without GPUs: the job fails at submit with sbatch\'s own words', async () => {
    const r = await cli(['run', job('gpu', '{ dispatcher: slurm, workers: 1, resources: { gpus: 1 } }')]);
    expect(r.code).toBe(1);
    const jobId = r.stdout.split(' ')[0] as string;
    const s = JSON.parse((await cli(['status', jobId, '--json'])).stdout) as { status: string; error: string };
    expect(s.status).toBe('FAILED');
    expect(s.error).toContain('starting the workers failed: sbatch refused the worker array: sbatch: error: Invalid generic resource (gres) specification');
    expect(await slurmJobsNamed(`djc-${jobId}`)).toEqual([]);
  });
});
