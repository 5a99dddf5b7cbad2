/**
 * Batch outputs of at most MAX_INLINE_OUTPUT_BYTES are kept in their task
 * records, larger ones as blobs: a job with both kinds concatenates and
 * reduces them in batch order, and `djc results --task` reads either.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_INLINE_OUTPUT_BYTES } from '@djc/core';
import { djc, leakedProcesses, makeSandbox, readJsonl } from './helpers.js';

let box: ReturnType<typeof makeSandbox>;
beforeEach(() => { box = makeSandbox(); });
afterEach(async () => {
  expect(await leakedProcesses(box.home)).toEqual([]);
  box.cleanup();
});

const run = (args: string[]) => djc(args, { cwd: box.dir, home: box.home });

/** Padding that makes batch 2's and batch 5's outputs larger than an inline output may be. */
const PAD = 'x'.repeat(MAX_INLINE_OUTPUT_BYTES);

/** 60 records in batches of 10; batches 2 and 5 return padded records. */
function job(output: string): void {
  writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 60 }, (_, i) => `{"n":${i}}\n`).join(''));
  writeFileSync(join(box.dir, 'h.mjs'), `export function handle(records, ctx) {
  const big = ctx.taskId === 2 || ctx.taskId === 5;
  return records.map((r) => big ? { n: r.n, pad: ${JSON.stringify(PAD)} } : { n: r.n });
}
export async function sum(outputs) {
  let n = 0, batches = 0;
  for await (const out of outputs) { batches += 1; for (const r of out) n += r.n; }
  return { n, batches };
}
`);
  writeFileSync(join(box.dir, 'job.yaml'), `name: inline
input: { path: in.jsonl, batch: { records: 10 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 2 }
output: ${output}
`);
}

const expected = () => Array.from({ length: 60 }, (_, n) => {
  const batch = Math.floor(n / 10);
  return batch === 2 || batch === 5 ? { n, pad: PAD } : { n };
});

describe('inline and blob outputs', () => {
  it('concat: the result holds every batch in order; results --task reads a small and a large output', async () => {
    job('{ path: out.jsonl }');
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { jobId } = JSON.parse(r.stdout) as { jobId: string };
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(expected());

    const small = await run(['results', jobId, '--task', '1', '--json']);
    expect(JSON.parse(small.stdout)).toMatchObject({ taskId: 1, output: { path: `task:${jobId}/1` } });
    const large = await run(['results', jobId, '--task', '2', '--json']);
    expect(JSON.parse(large.stdout)).toMatchObject({ taskId: 2, output: { path: expect.stringMatching(/^blob:/) } });
    for (const taskId of [1, 2]) {
      const one = await run(['results', jobId, '--task', String(taskId)]);
      expect(one.code, one.stderr).toBe(0);
      const lines = one.stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
      expect(lines).toEqual(expected().slice(taskId * 10, taskId * 10 + 10));
    }
  });

  it('reduce: the reducer gets every batch\'s output, inline or not, in order', async () => {
    job('{ path: sum.json, reduce: ./h.mjs#sum }');
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readJsonl(join(box.dir, 'sum.json'))).toEqual([{ n: (59 * 60) / 2, batches: 6 }]);
  });

  it('concat: inline outputs across many 64 KiB chunks, blobs between them, each record once and in order', async () => {
    // 400 one-record batches of 300-1,700 bytes (inline: ~400 KB, several of the result's chunks, their
    // edges at no batch's edge), batches 75 and 225 larger than an inline output may be (blobs).
    const pad = (n: number) => 'y'.repeat(n % 150 === 75 ? MAX_INLINE_OUTPUT_BYTES + 100 : 300 + ((n * 389) % 1400));
    writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 400 }, (_, n) => `{"n":${n}}\n`).join(''));
    writeFileSync(join(box.dir, 'h.mjs'), `export function handle(records) {
  return records.map((r) => ({ n: r.n, pad: 'y'.repeat(r.n % 150 === 75 ? ${MAX_INLINE_OUTPUT_BYTES + 100} : 300 + ((r.n * 389) % 1400)) }));
}
`);
    writeFileSync(join(box.dir, 'job.yaml'), `name: chunks
input: { path: in.jsonl, batch: { records: 1 } }
handler: { module: ./h.mjs#handle }
compute: { workers: 2 }
output: { path: out.jsonl }
`);
    const r = await run(['run', 'job.yaml', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readJsonl(join(box.dir, 'out.jsonl'))).toEqual(Array.from({ length: 400 }, (_, n) => ({ n, pad: pad(n) })));
  });
});
