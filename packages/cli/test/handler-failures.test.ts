import { createServer, type IncomingMessage } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxPerTest } from './helpers.js';
import { expectHugeErrorStoredBounded, writeHugeErrorJob } from './huge-error-case.js';

const box = sandboxPerTest();

const run = (args: string[]) => box.run(args);

function jobWith(handlerJs: string, extra = '', compute = '{ workers: 1 }'): string {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 30 }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), handlerJs);
  writeFileSync(join(box.dir, 'job.yaml'), `name: hf
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./h.mjs#handle }
compute: ${compute}
retry: { max_attempts: 2, backoff: { initial: 10ms } }
fail_fast: false
${extra}`);
  return join(box.dir, 'job.yaml');
}

interface Status { jobId: string; status: string; error: string; tasks: { failed: number; succeeded: number } }
interface Tasks { tasks: { taskId: number; status: string; attempts: number; error: string | null }[] }

describe('handlers that break their worker end as failed attempts with a clear reason', () => {
  it('a handler that kills its own process: the task fails as "worker lost", the job does not hang', async () => {
    jobWith(`export function handle(records) {
  if (records[0].n === 10) process.kill(process.pid, 'SIGKILL');
  return records;
}\n`);
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as Status;
    expect(s).toMatchObject({ status: 'FAILED', tasks: { failed: 1, succeeded: 2 } });
    const t = JSON.parse((await run(['tasks', s.jobId, '--status', 'failed', '--json'])).stdout) as Tasks;
    expect(t.tasks).toHaveLength(1);
    expect(t.tasks[0]).toMatchObject({ taskId: 1, attempts: 2 });
    expect(t.tasks[0]?.error).toMatch(/worker lost: worker process \d+ exited with signal SIGKILL/);
  });

  it('a handler that exhausts its memory limit fails with "ran out of memory"; the worker survives', async () => {
    jobWith(`export function handle(records) {
  if (records[0].n === 20) { const hog = []; for (;;) hog.push(new Array(1e5).fill(Math.random())); }
  return records;
}\n`, '', '{ workers: 1, memory: 64MiB }');
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as Status;
    expect(s.tasks).toMatchObject({ failed: 1, succeeded: 2 });
    expect(s.error).toMatch(/task 2: attempt 2: ran out of memory/);
  });

  it('a handler error marked retryable: false fails at once, without retries', async () => {
    jobWith(`export function handle(records) {
  if (records[0].n === 0) throw Object.assign(new Error('record 0 is malformed'), { retryable: false });
  return records;
}\n`);
    const r = await run(['run', 'job.yaml', '--json']);
    const s = JSON.parse(r.stdout) as Status;
    const t = JSON.parse((await run(['tasks', s.jobId, '--status', 'failed', '--json'])).stdout) as Tasks;
    expect(t.tasks[0]).toMatchObject({ taskId: 0, attempts: 1 });
    expect(t.tasks[0]?.error).toContain('record 0 is malformed');
  });

  it('a handler that throws a 1 MiB message: the stored errors are cut with a marker, the job fails as usual', async () => {
    writeHugeErrorJob(box.dir);
    await expectHugeErrorStoredBounded(run);
  });
});

describe('notifications', () => {
  it('a webhook receives the status document and a command runs, on the job\'s end', async () => {
    const received: unknown[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => { received.push(JSON.parse(body)); res.end('ok'); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      jobWith('export function handle(records) { return records; }\n', `notification:
  webhook: http://127.0.0.1:${port}/hook
  command: 'echo "$DJC_JOB_STATUS $DJC_JOB_ID" > notified.txt'
  on: [succeeded]
`);
      const r = await run(['run', 'job.yaml', '--json']);
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout) as Status;
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ jobId: s.jobId, status: 'SUCCEEDED', records: { total: 30, processed: 30 } });
      expect(readFileSync(join(box.dir, 'notified.txt'), 'utf8')).toBe(`SUCCEEDED ${s.jobId}\n`);
    } finally {
      server.close();
    }
  });
});
