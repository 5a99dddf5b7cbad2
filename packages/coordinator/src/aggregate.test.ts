import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, loadJobFile, partitionInput, type Backend, type BatchDescriptor } from '@djc/core';
import { aggregateOutputs } from './aggregate.js';
import { submitJob } from './submit.js';
import { useLocalHomes } from './testing/local-home.js';

const log = createLogger({ name: 'test', level: 'silent' });
let dir: string;
let backend: Backend;
const openHome = useLocalHomes('djc-aggregate-');

/** A job of `n` one-record tasks, all SUCCEEDED with an inline output `{"i":k}\n`. */
async function succeededJob(n: number) {
  ({ dir, backend } = openHome());
  writeFileSync(join(dir, 'in.jsonl'), Array.from({ length: n }, (_, i) => `{"i":${i}}\n`).join(''));
  writeFileSync(join(dir, 'job.yaml'), 'name: agg\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { command: cat }\n');
  const job = await submitJob(backend, await loadJobFile(join(dir, 'job.yaml')), 'daemon');
  const batches: BatchDescriptor[] = [];
  for await (const ev of partitionInput([join(dir, 'in.jsonl')], { format: 'jsonl', csv: { delimiter: ',', header: true, quote: '"' }, batchRecords: 1 })) if (ev.type === 'batch') batches.push(ev.batch);
  const createdAt = new Date().toISOString();
  await backend.state.putReusedTasks(job.jobId, batches.map((batch) => ({
    batch,
    from: {
      taskKey: 'k', batchSha256: 's', jobId: 'earlier', taskId: batch.index, outputKey: null,
      inlineOutput: Buffer.from(`{"i":${batch.index}}\n`), outputKind: 'json-lines' as const, records: 1, bad: 0, createdAt,
    },
  })));
  return (await backend.state.getJob(job.jobId))!;
}

describe('aggregateOutputs (concat)', () => {
  it('writes every inline output once, in batch order, in bounded chunks rather than one buffer of the whole result', async () => {
    const n = 12_000;
    const job = await succeededJob(n);
    const chunks: number[] = [];
    let text = '';
    // The blob store sees the result as it is written: record each chunk's size.
    const put = backend.blobs.put.bind(backend.blobs);
    backend.blobs.put = async (key, body, opts) => {
      const parts: Buffer[] = [];
      for await (const c of body as Readable) {
        chunks.push((c as Buffer).length);
        parts.push(c as Buffer);
      }
      text = Buffer.concat(parts).toString('utf8');
      return put(key, Buffer.concat(parts), opts);
    };
    const where = await aggregateOutputs(backend, job, log);
    expect(where).toMatch(/^blob:/);
    expect(text.split('\n').slice(0, -1)).toEqual(Array.from({ length: n }, (_, i) => `{"i":${i}}`));
    // ~110 KB of outputs: more than one chunk, none much above 64 KiB.
    expect(chunks.length).toBeGreaterThan(1);
    expect(Math.max(...chunks)).toBeLessThan(64 * 1024 + 64);
  });
});
