// What a local worker gets of compute.resources: its memory limit (djc run, no daemon), and a worker
// started under a binding (CPU ids, GPU ids, memory) as the daemon's local dispatcher starts it.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyBinding, localPool } from '@djc/coordinator';
import { DJC, djcStart, sandboxPerTest, waitFor } from './helpers.js';

const box = sandboxPerTest();

interface Tasks { tasks: { taskId: number; status: string; attempts: number; error: string | null }[] }

async function tasksOf(jobId: string): Promise<Tasks['tasks']> {
  const r = await box.run(['tasks', jobId, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Tasks).tasks.sort((a, b) => a.taskId - b.taskId);
}

/** perl allocating `mib` MiB when its batch says "big", else echoing it. */
const PERL_HOG = (mib: number) => `read l; if [ "$l" = big ]; then perl -e '$x = "a" x (${mib} * 1024 * 1024); print length($x), "\\n"'; else echo "$l"; fi`;

describe('compute.resources.memory limits a local worker\'s handlers', () => {
  it('a command allocating beyond it fails as out_of_memory; the others succeed', async () => {
    writeFileSync(join(box.dir, 'in.txt'), 'small\nbig\nsmall\n');
    writeFileSync(join(box.dir, 'job.yaml'), `name: mem
input: { path: in.txt, format: text, batch: { records: 1 } }
handler: { command: ${JSON.stringify(PERL_HOG(128))} }
compute: { workers: 1, resources: { memory: 32MiB } }
retry: { max_attempts: 1 }
fail_fast: false
output: { path: out.txt }
`);
    const r = await box.run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const { jobId, status } = JSON.parse(r.stdout) as { jobId: string; status: string };
    expect(status).toBe('FAILED');
    const tasks = await tasksOf(jobId);
    expect(tasks.map((t) => t.status)).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);
    expect(tasks[1]?.error).toMatch(/command ran out of memory \(limit 32MiB per process, compute.resources.memory\); it exited with code \d+: .*Out of memory/);
  });

  it('a module handler gets it as its heap limit when compute.memory is unset', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), '{"n":1}\n');
    writeFileSync(join(box.dir, 'h.mjs'), `export function handle(records) {
  const hog = [];
  for (;;) hog.push(new Array(1e5).fill({ n: hog.length }));
}
`);
    writeFileSync(join(box.dir, 'job.yaml'), `name: heap
input: { path: in.jsonl }
handler: { module: ./h.mjs#handle }
compute: { workers: 1, resources: { memory: 64MiB } }
retry: { max_attempts: 1 }
`);
    const r = await box.run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const { jobId } = JSON.parse(r.stdout) as { jobId: string };
    const [t] = await tasksOf(jobId);
    expect(t?.error).toBe('attempt 1: ran out of memory (heap limit 64 MiB, compute.resources.memory)');
  });
});

describe('a worker started under a binding', () => {
  it('runs pinned to its CPU ids, sees its GPUs, and its commands get its memory limit', async () => {
    const ids = localPool().cpuIds;
    const cpu = ids[ids.length - 1] as number;
    writeFileSync(join(box.dir, 'in.txt'), 'probe\nbig\n');
    const probe = 'grep Cpus_allowed_list /proc/self/status | cut -f2; echo "gpus=$CUDA_VISIBLE_DEVICES"; echo "data=$(ulimit -d)"';
    const handler = `read l; if [ "$l" = big ]; then perl -e '$x = "a" x (256 * 1024 * 1024)'; else { ${probe}; } > probe.txt; fi`;
    writeFileSync(join(box.dir, 'job.yaml'), `name: bound
input: { path: in.txt, format: text, batch: { records: 1 } }
handler: { command: ${JSON.stringify(handler)} }
compute: { dispatcher: external }
retry: { max_attempts: 1 }
fail_fast: false
`);
    const run = djcStart(['run', 'job.yaml', '--json'], { cwd: box.dir, home: box.home });
    const jobId = await waitFor('the job id', async () => /job (\S+) submitted/.exec(run.stderr())?.[1]);
    const launch = applyBinding(
      { cpuIds: [cpu], gpuIds: [0, 2], memoryBytes: 96 * 1024 * 1024 },
      { argv: [process.execPath, DJC, 'worker', '--job', jobId, '--worker-id', 'bound'], env: { ...process.env, DJC_HOME: box.home } },
    );
    expect(launch.notes).toEqual([]);
    const [cmd, ...args] = launch.argv;
    const worker = spawn(cmd as string, args, { cwd: box.dir, env: launch.env, stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => worker.on('exit', r));
    expect(code).toBe(0);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(1);
    expect(readFileSync(join(box.dir, 'probe.txt'), 'utf8')).toBe(`${cpu}\ngpus=0,2\ndata=${96 * 1024}\n`);
    const [probed, big] = await tasksOf(jobId);
    expect(probed).toMatchObject({ status: 'SUCCEEDED' });
    expect(big).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(big?.error).toMatch(/^attempt 1: command ran out of memory \(limit 96MiB per process, DJC_WORKER_MEMORY\); it exited with code \d+: Out of memory!/);
  });
});
