import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxPerTest } from './helpers.js';

// input.batch.bytes end to end: batches are byte ranges, their record counts
// unknown until the tasks run; once they have, status, tasks and the
// manifest are exact.

const box = sandboxPerTest();

const run = (args: string[]) => box.run(args);

interface Status {
  jobId: string; status: string; error: string | null;
  tasks: { total: number; succeeded: number; failed: number };
  records: { total: number; processed: number; bad: number; totalKnown: boolean };
}
interface Tasks { tasks: { taskId: number; status: string; records: number | null; error: string | null }[] }
interface Manifest {
  files: { path: string; size: number; records: number | null }[];
  batches: { index: number; start: number; end: number; firstRecord: number | null; records: number | null }[];
  totals: { records: number | null; bytes: number; batches: number };
}

function manifest(jobId: string): Manifest {
  return JSON.parse(readFileSync(join(box.home, 'blobs', 'jobs', jobId, 'manifest.json'), 'utf8')) as Manifest;
}

/** Runs job.yaml to success and checks that status, tasks and the manifest agree on `records` in all. */
async function runExact(records: number): Promise<{ status: Status; tasks: Tasks; manifest: Manifest }> {
  const r = await run(['run', 'job.yaml', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const done = JSON.parse(r.stdout) as Status;
  expect(done).toMatchObject({ status: 'SUCCEEDED', records: { total: records, processed: records, bad: 0, totalKnown: true } });
  const status = JSON.parse((await run(['status', done.jobId, '--json'])).stdout) as Status;
  expect(status.records).toEqual({ total: records, processed: records, bad: 0, totalKnown: true });
  expect(status.tasks.succeeded).toBe(status.tasks.total);
  const human = await run(['status', done.jobId]);
  expect(human.stdout).toMatch(new RegExp(`records +${records.toLocaleString('en-US')} of ${records.toLocaleString('en-US')} processed \\(100%\\)`));
  const tasks = JSON.parse((await run(['tasks', done.jobId, '--json'])).stdout) as Tasks;
  expect(tasks.tasks).toHaveLength(status.tasks.total);
  expect(tasks.tasks.every((t) => t.records !== null && t.records > 0)).toBe(true);
  expect(tasks.tasks.reduce((n, t) => n + (t.records ?? 0), 0)).toBe(records);
  const m = manifest(done.jobId);
  expect(m.totals).toMatchObject({ records, batches: status.tasks.total });
  expect(m.files.map((f) => f.records)).toEqual([records]);
  expect(m.batches.map((b) => b.records)).toEqual(tasks.tasks.map((t) => t.records));
  let first = 0;
  for (const b of m.batches) {
    expect(b.firstRecord).toBe(first);
    first += b.records ?? 0;
  }
  return { status, tasks, manifest: m };
}

describe('input.batch.bytes', () => {
  it('jsonl, 64KiB batches, a command handler: exact output, and exact counts once the tasks have run', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) {
      lines.push(JSON.stringify({ i, text: 'ünïcödé '.repeat(i % 17), pad: 'x'.repeat((i * 37) % 150) }));
      if (i % 500 === 0) lines.push('', '   ');
    }
    const input = lines.join('\r\n') + '\n';
    writeFileSync(join(box.dir, 'in.jsonl'), input);
    // DJC_BATCH_RECORDS is empty: the count is not known before the batch is read.
    writeFileSync(join(box.dir, 'job.yaml'), `name: bytes-jsonl
input: { path: in.jsonl, batch: { bytes: 64KiB } }
handler: { command: 'test -z "$DJC_BATCH_RECORDS" && cat' }
compute: { workers: 2 }
output: { path: out.jsonl }
`);
    const { status, manifest: m } = await runExact(4000);
    expect(status.tasks.total).toBeGreaterThanOrEqual(Math.floor(Buffer.byteLength(input) / 65536));
    expect(m.batches[0]?.start).toBe(0);
    expect(m.batches.at(-1)?.end).toBe(Buffer.byteLength(input));
    const bytes = Buffer.from(input);
    for (const b of m.batches.slice(1)) expect(bytes[b.start - 1]).toBe(0x0a); // each batch starts a line
    // The batches' bytes, in order: the input itself.
    expect(readFileSync(join(box.dir, 'out.jsonl'), 'utf8')).toBe(input);
  });

  it('csv with quoted multi-line fields (csv.multiline: true): every row whole, exact counts; multiline: false fails loudly', async () => {
    const rows: string[][] = [];
    for (let i = 0; i < 600; i++) rows.push([String(i), i % 3 === 0 ? `line one\nline "two" of ${i}` : `plain, ${i}`]);
    const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
    const input = ['id,note', ...rows.map((r) => r.map(quote).join(','))].join('\r\n') + '\r\n';
    writeFileSync(join(box.dir, 'in.csv'), input);
    writeFileSync(join(box.dir, 'h.mjs'), `export function handle(records, ctx) {
  return records.map((r) => ({ ...r, batch: ctx.batch.index, n: ctx.batch.records, first: ctx.batch.firstRecord }));
}\n`);
    const job = (multiline: boolean) => `name: bytes-csv
input: { path: in.csv, format: csv, batch: { bytes: 1KiB }, csv: { multiline: ${multiline} } }
handler: { module: ./h.mjs#handle }
compute: { workers: 2 }
retry: { max_attempts: 1 }
output: { path: out.jsonl }
`;
    writeFileSync(join(box.dir, 'job.yaml'), job(true));
    const { tasks } = await runExact(600);
    expect(tasks.tasks.length).toBeGreaterThan(10);
    const out = readFileSync(join(box.dir, 'out.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map(({ id, note }) => [id, note])).toEqual(rows);
    // ctx.batch: the count of records read; firstRecord is not known for a batch cut by bytes.
    for (const o of out) {
      expect(o.n).toBe(tasks.tasks[o.batch as number]?.records);
      expect(o.first).toBeNull();
    }

    // Declared without multi-line fields, it fails with the offset of a quoted line break, and no result.
    writeFileSync(join(box.dir, 'job.yaml'), job(false));
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code).toBe(1);
    const failed = JSON.parse(r.stdout) as Status;
    expect(failed.status).toBe('FAILED');
    expect(failed.records.totalKnown).toBe(false);
    const t = JSON.parse((await run(['tasks', failed.jobId, '--json', '--status', 'failed'])).stdout) as Tasks;
    expect(t.tasks.length).toBeGreaterThan(0);
    for (const task of t.tasks) {
      expect(task.records).toBeNull();
      expect(task.error).toMatch(/in\.csv: a quoted field holds a line break \(.* at byte offset \d+\), but input\.csv\.multiline is false/);
    }
    expect(manifest(failed.jobId).totals.records).toBeNull();
  });
});
