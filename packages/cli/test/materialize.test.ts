/**
 * input.materialize end to end: the coordinator copies every batch into the
 * blob store at prepare, with its sha256 in the manifest; the input is then
 * removed, so only the copies can feed the workers (started by the test from
 * the command `dispatcher: external` prints). A copy changed in the blob
 * store fails its task with the checksum mismatch, without retries.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { djc, djcStart, leakedProcesses, makeSandbox, readJsonl, waitFor } from './helpers.js';

let box: ReturnType<typeof makeSandbox>;
let started: ChildProcess[] = [];
beforeEach(() => { box = makeSandbox(); });
afterEach(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  started = [];
  expect(await leakedProcesses(box.home)).toEqual([]);
  box.cleanup();
});

const cli = (args: string[]) => djc(args, { cwd: box.dir, home: box.home });

interface Status { jobId: string; status: string; tasks: { total: number; succeeded: number; failed: number }; records: { total: number; processed: number } }
interface Manifest { batches: Array<{ index: number; materialized?: { key: string; sha256: string; bytes: number }; files?: Array<{ copy?: { key: string; sha256: string } }> }> }

/** Submits job.yaml to a coordinator, waits until it is prepared, runs `before`, then runs one external worker to the end. */
async function submitAndWork(before: (jobId: string) => void): Promise<Status> {
  const daemon = djcStart(['coordinator'], { cwd: box.dir, home: box.home });
  started.push(daemon.child);
  const sub = await cli(['submit', 'job.yaml', '--json']);
  expect(sub.code, sub.stderr).toBe(0);
  const doc = JSON.parse(sub.stdout) as { jobId: string; worker: { command: string } };
  await waitFor('the job to be prepared', async () => {
    const s = JSON.parse((await cli(['status', doc.jobId, '--json'])).stdout) as Status;
    return s.status === 'RUNNING' && s.tasks.total > 0;
  });
  before(doc.jobId);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('DJC_')) delete env[k];
  const worker = spawn('sh', ['-c', doc.worker.command], { cwd: box.dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(worker);
  let err = '';
  worker.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
  const code = await new Promise<number | null>((res) => worker.on('close', res));
  expect(code, err).toBe(0);
  await cli(['wait', doc.jobId]);
  const status = JSON.parse((await cli(['status', doc.jobId, '--json'])).stdout) as Status;
  daemon.child.kill('SIGTERM');
  await daemon.done;
  return status;
}

function manifest(jobId: string): Manifest {
  return JSON.parse(readFileSync(join(box.home, 'blobs/jobs', jobId, 'manifest.json'), 'utf8')) as Manifest;
}

describe('input.materialize', () => {
  it('csv with a header, a command handler: workers read the copies; the input may be gone; the manifest has each sha256', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => `${i},"note ${i}\nsecond line"`);
    writeFileSync(join(box.dir, 'in.csv'), `id,note\n${rows.join('\n')}\n`);
    writeFileSync(join(box.dir, 'job.yaml'), `name: mat
input: { path: in.csv, format: csv, batch: { records: 40 }, materialize: true }
handler: { command: "python3 -c 'import csv,sys,json; [print(json.dumps(r)) for r in csv.DictReader(sys.stdin)]'" }
compute: { dispatcher: external }
output: { path: out.jsonl }
`);
    const status = await submitAndWork((jobId) => {
      const m = manifest(jobId);
      expect(m.batches).toHaveLength(7);
      for (const b of m.batches) expect(b.materialized).toMatchObject({ key: `jobs/${jobId}/batches/${String(b.index).padStart(8, '0')}.bin`, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      rmSync(join(box.dir, 'in.csv'));
    });
    expect(status).toMatchObject({ status: 'SUCCEEDED', tasks: { total: 7, succeeded: 7 }, records: { total: 250, processed: 250 } });
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(Array.from({ length: 250 }, (_, i) => ({ id: String(i), note: `note ${i}\nsecond line` })));
  });

  it('format: files: handlers get downloaded copies under the original names', async () => {
    mkdirSync(join(box.dir, 'docs/sub'), { recursive: true });
    const names = ['a.txt', 'b.md', 'sub/c.txt'];
    for (const [i, n] of names.entries()) writeFileSync(join(box.dir, 'docs', n), 'x'.repeat(i + 1));
    writeFileSync(join(box.dir, 'sizes.mjs'), `import { statSync } from 'node:fs';
import { basename } from 'node:path';
export default (paths) => paths.map((p) => ({ name: basename(p), bytes: statSync(p).size, copy: !p.includes('/docs/') }));\n`);
    writeFileSync(join(box.dir, 'job.yaml'), `name: matfiles
input: { path: docs, format: files, batch: { files: 2 }, materialize: true }
handler: { module: ./sizes.mjs }
compute: { dispatcher: external }
output: { path: out.jsonl }
`);
    const status = await submitAndWork((jobId) => {
      expect(manifest(jobId).batches.flatMap((b) => b.files?.map((f) => f.copy?.sha256) ?? [])).toHaveLength(3);
      rmSync(join(box.dir, 'docs'), { recursive: true });
    });
    expect(status.status).toBe('SUCCEEDED');
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual([
      { name: 'a.txt', bytes: 1, copy: true }, { name: 'b.md', bytes: 2, copy: true }, { name: 'c.txt', bytes: 3, copy: true },
    ]);
  });

  it('a copy changed in the blob store after prepare fails its task at once, saying so; the others succeed', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 30 }, (_, i) => `{"n":${i}}\n`).join(''));
    writeFileSync(join(box.dir, 'echo.mjs'), 'export default (records) => records;\n');
    writeFileSync(join(box.dir, 'job.yaml'), `name: matbad
input: { path: in.jsonl, batch: { records: 10 }, materialize: true }
handler: { module: ./echo.mjs }
compute: { dispatcher: external }
retry: { max_attempts: 3 }
fail_fast: false
output: { path: out.jsonl }
`);
    let key = '';
    const status = await submitAndWork((jobId) => {
      key = (manifest(jobId).batches[1]?.materialized?.key) as string;
      const path = join(box.home, 'blobs', key);
      writeFileSync(path, readFileSync(path, 'utf8').replace('{"n":15}', '{"n":51}'));
    });
    expect(status).toMatchObject({ status: 'FAILED', tasks: { succeeded: 2, failed: 1 } });
    const tasks = JSON.parse((await cli(['tasks', status.jobId, '--status', 'failed', '--json'])).stdout) as { tasks: Array<{ taskId: number; attempts: number; error: string }> };
    expect(tasks.tasks).toEqual([expect.objectContaining({ taskId: 1, attempts: 1 })]);
    expect(tasks.tasks[0]?.error).toMatch(new RegExp(`batch 1: its copy ${key} has sha256 [0-9a-f]{64}, prepare recorded [0-9a-f]{64}: it changed or was corrupted in the blob store after prepare`));
  });
});
