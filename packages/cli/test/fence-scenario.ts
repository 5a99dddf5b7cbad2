/**
 * The SIGSTOP/SIGCONT fencing scenario, on any backend: daemon A coordinates
 * a job; A is stopped past its lock's TTL; daemon B takes the lock, adopts
 * (claims) the job and finishes it, then stops; A is resumed (and may lead
 * again): it writes nothing to the job (its version, coordinator mark and
 * workers record stay as B left them), the job ended once (one
 * notification), the result holds each record once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Backend } from '@djc/core';
import { djc, djcStart, readJsonl, sleep, waitFor } from './helpers.js';

export interface FenceWorld {
  dir: string;
  home: string;
  env: Record<string, string>;
  /** Opens the backend the djc commands use (closed after each read). */
  open(): Promise<Backend>;
}

const RECORDS = 600;

function jobFile(w: FenceWorld): string {
  writeFileSync(join(w.dir, 'numbers.jsonl'), Array.from({ length: RECORDS }, (_, i) => `{"n":${i}}\n`).join(''));
  // Tasks wait for the file `go`, so the job cannot end while A is stopped with nobody else coordinating.
  const go = join(w.dir, 'go');
  writeFileSync(join(w.dir, 'slow.mjs'), `import { existsSync } from 'node:fs';
export async function echo(records) {
  while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 20));
  return records;
}
`);
  const file = join(w.dir, 'fenced.yaml');
  writeFileSync(file, `name: fenced
input: { path: numbers.jsonl, batch: { records: 20 } }
handler: { module: ./slow.mjs#echo }
compute: { workers: 2, lease: 3s }
output: { path: out.jsonl }
notification: { command: 'echo "$DJC_JOB_STATUS" >> ${join(w.dir, 'endings.txt')}' }
`);
  return file;
}

async function read(w: FenceWorld, jobId: string) {
  const backend = await w.open();
  try {
    return { job: await backend.state.getJob(jobId), lock: await backend.state.getCoordinatorLock() };
  } finally {
    await backend.close();
  }
}

export async function pausedLeaderWritesNothing(w: FenceWorld): Promise<void> {
  const file = jobFile(w);
  const run = (args: string[]) => djc(args, { cwd: w.dir, home: w.home, env: w.env });
  const start = (args: string[]) => djcStart(args, { cwd: w.dir, home: w.home, env: w.env });
  const a = start(['coordinator']);
  const aPid = a.child.pid as number;
  let b: ReturnType<typeof djcStart> | null = null;
  try {
    const sub = await run(['submit', file]);
    expect(sub.code).toBe(0);
    const jobId = sub.stdout.trim();
    const claimedByA = await waitFor('daemon A to claim the job', async () => {
      const { job } = await read(w, jobId);
      return job?.status === 'RUNNING' && job.coordinator?.owner.includes(`pid ${aPid}`) ? job : undefined;
    });
    expect(claimedByA.coordinator?.epoch).toBe(1);

    process.kill(aPid, 'SIGSTOP');
    // Past A's lock: a second daemon may take it then.
    const { lock } = await read(w, jobId);
    expect(lock?.pid).toBe(aPid);
    await sleep(Math.max(0, (lock?.expiresAt ?? 0) - Date.now()) + 500);
    // Its own API socket: A's, in the home, still accepts connections while A is stopped.
    b = start(['coordinator', '--socket', join(w.dir, 'b.sock')]);
    const bPid = b.child.pid as number;
    await waitFor('daemon B to claim the job', async () => {
      const { job } = await read(w, jobId);
      return job?.coordinator?.owner.includes(`pid ${bPid}`) && job.coordinator.epoch === 2;
    });
    writeFileSync(join(w.dir, 'go'), '');
    const waited = await run(['wait', jobId, '--json']);
    expect(waited.code).toBe(0);
    expect((JSON.parse(waited.stdout) as { status: string }).status).toBe('SUCCEEDED');
    // B ends (releasing the lock, so A, resumed, leads again and would act on anything it still believes is its own).
    b.child.kill('SIGTERM');
    expect((await b.done).code).toBe(0);
    b = null;
    const before = (await read(w, jobId)).job;
    expect(before?.coordinator).toMatchObject({ epoch: 2 });
    expect(before?.coordinator?.owner).toContain(`pid ${bPid}`);

    process.kill(aPid, 'SIGCONT');
    const said = () => a.stderr().includes('another coordinator claimed the job: stopped coordinating it');
    await waitFor('daemon A to stop coordinating the job', async () => said(), 15_000).catch(() => undefined);
    // Give A's timers (marks every 2 s, the monitor tick) time to write, if it still would.
    await sleep(3000);
    const after = (await read(w, jobId)).job;
    expect(after?.version).toBe(before?.version);
    expect(after?.coordinator).toEqual(before?.coordinator);
    expect(after?.workers).toEqual(before?.workers);
    expect(after?.status).toBe('SUCCEEDED');
    // A says why it let go of the job (its log, warn level).
    expect(said()).toBe(true);
    // Ended once: one notification, the result whole with each record once.
    expect(readFileSync(join(w.dir, 'endings.txt'), 'utf8').trim().split('\n')).toEqual(['SUCCEEDED']);
    const out = readJsonl(join(w.dir, 'out.jsonl')) as { n: number }[];
    expect(out.map((x) => x.n)).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    const status = await run(['status', jobId, '--json']);
    expect((JSON.parse(status.stdout) as { status: string }).status).toBe('SUCCEEDED');
  } finally {
    try { process.kill(aPid, 'SIGCONT'); } catch { /* gone */ }
    b?.child.kill('SIGTERM');
    a.child.kill('SIGTERM');
    await Promise.all([a.done, b?.done]);
  }
}
