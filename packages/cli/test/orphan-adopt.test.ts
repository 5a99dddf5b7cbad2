/**
 * A job whose `djc run` died and that no daemon adopts: `djc wait` says that
 * nobody coordinates it and gives up with exit 3 after --orphan-grace;
 * `djc retry JOB` and `djc resume JOB` coordinate it here (claiming it) and
 * finish it, every record once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalBackend } from '@djc/core/backends/local';
import { djc, djcStart, readJsonl, sandboxPerTest, waitFor } from './helpers.js';

const box = sandboxPerTest('djc-orphan-');
const STALE = { DJC_COORDINATOR_STALE_SECONDS: '2' };
const RECORDS = 200;

function jobFile(): string {
  writeFileSync(join(box.dir, 'numbers.jsonl'), Array.from({ length: RECORDS }, (_, i) => `{"n":${i}}\n`).join(''));
  const go = join(box.dir, 'go');
  writeFileSync(join(box.dir, 'gated.mjs'), `import { existsSync } from 'node:fs';
export async function echo(records) {
  while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 20));
  return records;
}
`);
  const file = join(box.dir, 'orphan.yaml');
  writeFileSync(file, `name: orphan
input: { path: numbers.jsonl, batch: { records: 10 } }
handler: { module: ./gated.mjs#echo }
compute: { workers: 2, lease: 3s }
output: { path: out.jsonl }
`);
  return file;
}

const cli = (args: string[]) => djc(args, { cwd: box.dir, home: box.home, env: STALE });

async function epochOf(jobId: string): Promise<number | undefined> {
  const backend = createLocalBackend({ home: box.home });
  try {
    return (await backend.state.getJob(jobId))?.coordinator?.epoch;
  } finally {
    await backend.close();
  }
}

/** Starts `djc run`, waits for a running task, SIGKILLs the run (its workers stay, blocked on `go`); returns the job id. */
async function orphanedJob(beforeKill?: (jobId: string) => Promise<void>): Promise<string> {
  const run = djcStart(['run', jobFile()], { cwd: box.dir, home: box.home });
  const jobId = await waitFor('the job running', async () => {
    const r = await cli(['list', '--json']);
    const job = r.code === 0 ? (JSON.parse(r.stdout) as { jobs: { jobId: string; status: string }[] }).jobs[0] : undefined;
    return job?.status === 'RUNNING' ? job.jobId : undefined;
  });
  await beforeKill?.(jobId);
  run.child.kill('SIGKILL');
  await run.done;
  return jobId;
}

function expectWhole(): void {
  const out = readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[];
  expect(out.map((x) => x.n)).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
}

describe('a job whose djc run died', () => {
  it('djc wait says nobody coordinates it and exits 3 after --orphan-grace; djc retry coordinates it here and finishes it', async () => {
    const jobId = await orphanedJob();
    const w = await cli(['wait', jobId, '--orphan-grace', '1s', '--interval', '200ms']);
    expect(w.code).toBe(3);
    expect(w.stderr).toContain(`djc: nobody coordinates ${jobId} (its coordinator (djc run on `);
    expect(w.stderr).toContain(`\`djc retry ${jobId}\` coordinates it here; giving up in 1s`);
    expect(w.stderr).toMatch(new RegExp(`djc: nobody has coordinated job ${jobId} for \\d+s .*; stopped waiting`));
    expect(w.stdout).toBe('');

    // A retry that changes settings is refused for an unfinished job (exit 2, saying what to do).
    const refused = await cli(['retry', jobId, '--set', 'compute.workers=1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('nobody coordinates it: --set, --task and --error apply to a finished job only');

    const retry = djcStart(['retry', jobId, '--json'], { cwd: box.dir, home: box.home, env: STALE });
    await waitFor('the retry to claim the job', async () => ((await epochOf(jobId)) === 2 ? true : undefined));
    writeFileSync(join(box.dir, 'go'), '');
    const r = await retry.done;
    expect(r.stderr).toContain(`djc: ${jobId} is RUNNING and nobody coordinates it`);
    expect(r.stderr).toContain('djc retry coordinates it here');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { status: string }).status).toBe('SUCCEEDED');
    expectWhole();
  }, 120_000);

  it('djc resume of a paused job whose djc run died resumes it and coordinates it here', async () => {
    const jobId = await orphanedJob(async (id) => {
      expect((await cli(['pause', id])).code).toBe(0);
    });
    // Until its marks are stale (DJC_COORDINATOR_STALE_SECONDS) the dead run still looks alive: wait says when it is not.
    expect((await cli(['wait', jobId, '--orphan-grace', '1s', '--interval', '200ms'])).code).toBe(3);
    writeFileSync(join(box.dir, 'go'), '');
    const r = await cli(['resume', jobId, '--json']);
    expect(r.stderr).toContain(`djc: ${jobId} is PAUSED and nobody coordinates it`);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { status: string }).status).toBe('SUCCEEDED');
    expect(await epochOf(jobId)).toBe(2);
    expectWhole();
  }, 120_000);
});
