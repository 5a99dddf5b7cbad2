/**
 * Per-job coordination fencing, end to end: a daemon paused (SIGSTOP) past
 * the lock TTL while it coordinates a job, a second daemon that adopts and
 * finishes the job, and the first one resumed (SIGCONT): the paused one
 * writes nothing to the job (no mark, no workers record, no second ending).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalBackend } from '@djc/core/backends/local';
import { djc, djcStart, leakedProcesses, makeSandbox, readJsonl, sleep, waitFor } from './helpers.js';

let box: ReturnType<typeof makeSandbox>;
beforeEach(() => { box = makeSandbox('djc-fence-'); });
afterEach(async () => {
  expect(await leakedProcesses(box.home, 30_000)).toEqual([]);
  box.cleanup();
});

const RECORDS = 600;

function jobFile(): string {
  writeFileSync(join(box.dir, 'numbers.jsonl'), Array.from({ length: RECORDS }, (_, i) => `{"n":${i}}\n`).join(''));
  // Tasks wait for the file `go`, so the job cannot end while the first daemon is stopped with nobody else coordinating.
  const go = join(box.dir, 'go');
  writeFileSync(join(box.dir, 'slow.mjs'), `import { existsSync } from 'node:fs';
export async function echo(records) {
  while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 20));
  return records;
}
`);
  const file = join(box.dir, 'fenced.yaml');
  writeFileSync(file, `name: fenced
input: { path: numbers.jsonl, batch: { records: 20 } }
handler: { module: ./slow.mjs#echo }
compute: { workers: 2, lease: 3s }
output: { path: out.jsonl }
notification: { command: 'echo "$DJC_JOB_STATUS" >> ${join(box.dir, 'endings.txt')}' }
`);
  return file;
}

async function readJob(jobId: string) {
  const backend = createLocalBackend({ home: box.home });
  try {
    return { job: await backend.state.getJob(jobId), lock: await backend.state.getCoordinatorLock() };
  } finally {
    await backend.close();
  }
}

describe('coordination fencing', () => {
  it('a daemon paused past the lock TTL and resumed after another adopted and finished its job writes nothing to it', async () => {
    const file = jobFile();
    const a = djcStart(['coordinator'], { cwd: box.dir, home: box.home });
    const aPid = a.child.pid as number;
    let b: ReturnType<typeof djcStart> | null = null;
    try {
      const sub = await djc(['submit', file], { cwd: box.dir, home: box.home });
      expect(sub.code).toBe(0);
      const jobId = sub.stdout.trim();
      const claimedByA = await waitFor('daemon A to claim the job', async () => {
        const { job } = await readJob(jobId);
        return job?.status === 'RUNNING' && job.coordinator?.owner.includes(`pid ${aPid}`) ? job : undefined;
      });
      expect(claimedByA.coordinator?.epoch).toBe(1);

      process.kill(aPid, 'SIGSTOP');
      // Past A's lock: a second daemon may take it then.
      const { lock } = await readJob(jobId);
      expect(lock?.pid).toBe(aPid);
      await sleep(Math.max(0, (lock?.expiresAt ?? 0) - Date.now()) + 500);
      // Its own API socket: A's, in the home, still accepts connections while A is stopped.
      b = djcStart(['coordinator', '--socket', join(box.dir, 'b.sock')], { cwd: box.dir, home: box.home });
      const bPid = b.child.pid as number;
      await waitFor('daemon B to claim the job', async () => {
        const { job } = await readJob(jobId);
        return job?.coordinator?.owner.includes(`pid ${bPid}`) && (job.coordinator.epoch ?? 0) === 2;
      }).catch(async (e: unknown) => {
        throw new Error(`${String(e)}; B said: ${b?.stderr()}; job: ${JSON.stringify((await readJob(jobId)).job?.coordinator)}`);
      });
      writeFileSync(join(box.dir, 'go'), '');
      const w = await djc(['wait', jobId, '--json'], { cwd: box.dir, home: box.home });
      expect(w.code).toBe(0);
      expect((JSON.parse(w.stdout) as { status: string }).status).toBe('SUCCEEDED');
      // B ends (releasing the lock, so A, resumed, leads again and would act on anything it still believes is its own).
      b.child.kill('SIGTERM');
      expect((await b.done).code).toBe(0);
      b = null;
      const before = (await readJob(jobId)).job;
      expect(before?.coordinator).toMatchObject({ epoch: 2 });
      expect(before?.coordinator?.owner).toContain(`pid ${bPid}`);

      process.kill(aPid, 'SIGCONT');
      const said = () => a.stderr().includes('another coordinator claimed the job: stopped coordinating it');
      await waitFor('daemon A to stop coordinating the job', async () => said(), 15_000).catch(() => undefined);
      // Give A's timers (marks every 2 s, the monitor tick) time to write, if it still would.
      await sleep(3000);
      const after = (await readJob(jobId)).job;
      expect(after?.version).toBe(before?.version);
      expect(after?.coordinator).toEqual(before?.coordinator);
      expect(after?.workers).toEqual(before?.workers);
      expect(after?.status).toBe('SUCCEEDED');
      // A says why it let go of the job (its log, warn level).
      expect(said()).toBe(true);
      // Ended once: one notification, the result whole with each record once.
      expect(readFileSync(join(box.dir, 'endings.txt'), 'utf8').trim().split('\n')).toEqual(['SUCCEEDED']);
      const out = readJsonl(join(box.dir, 'out.jsonl')) as { n: number }[];
      expect(out.map((x) => x.n)).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
      const status = await djc(['status', jobId, '--json'], { cwd: box.dir, home: box.home });
      expect((JSON.parse(status.stdout) as { status: string }).status).toBe('SUCCEEDED');
    } finally {
      try { process.kill(aPid, 'SIGCONT'); } catch { /* gone */ }
      b?.child.kill('SIGTERM');
      a.child.kill('SIGTERM');
      await Promise.all([a.done, b?.done]);
    }
  }, 120_000);
});
