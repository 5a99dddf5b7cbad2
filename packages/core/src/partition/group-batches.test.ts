import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchDescriptor } from '../model/batch.js';
import { partitionInput } from './partition-input.js';
import { CSV_DEFAULTS, tempDir, type TempDir } from './testing.js';
import type { PartitionOptions } from './types.js';

let tmp: TempDir;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.remove();
});

/** Every event, a 'batches' event flattened into its batches; and how many batches each event carried. */
async function events(files: string[], opts: PartitionOptions): Promise<{ flat: string[]; sizes: number[] }> {
  const flat: string[] = [];
  const sizes: number[] = [];
  const batch = (b: BatchDescriptor) => `batch ${JSON.stringify(b)}`;
  for await (const ev of partitionInput(files, opts)) {
    if (ev.type === 'file') {
      flat.push(`file ${JSON.stringify(ev.file)}`);
    } else if (ev.type === 'batch') {
      flat.push(batch(ev.batch));
      sizes.push(1);
    } else {
      flat.push(...ev.batches.map(batch));
      sizes.push(ev.batches.length);
    }
  }
  return { flat, sizes };
}

describe('groupBatches', () => {
  const lines = (n: number, row: (i: number) => string) => Array.from({ length: n }, (_, i) => row(i)).join('\n') + '\n';

  it.each([
    ['jsonl', 'a.jsonl', lines(300, (i) => `{"i":${i}}`) + '\n\n' + lines(7, (i) => `{"j":${i}}`)],
    ['text', 'a.txt', lines(250, (i) => `line ${i}`)],
    ['csv', 'a.csv', 'x,y\n' + lines(200, (i) => `${i},"q ${i}"`)],
  ] as const)('%s: the same batches and file events in the same order as one event per batch', async (format, name, text) => {
    const first = await tmp.file(name, text);
    const empty = await tmp.file(`empty-${name}`, '');
    const second = await tmp.file(`b-${name}`, text);
    const files = [first, empty, second];
    // A small read buffer: many reads, so batches come in many groups, some cut across reads.
    const opts: PartitionOptions = { format, csv: CSV_DEFAULTS, batchRecords: 3, readBufferSize: 256 };
    const each = await events(files, opts);
    const grouped = await events(files, { ...opts, groupBatches: true });
    expect(grouped.flat).toEqual(each.flat);
    expect(each.sizes.every((n) => n === 1)).toBe(true);
    expect(grouped.sizes.length).toBeLessThan(each.sizes.length);
    expect(Math.max(...grouped.sizes)).toBeGreaterThan(1);
  });

  it('a local file by records in one read: one event for all its batches, then the file event', async () => {
    const file = await tmp.file('one.jsonl', lines(10, (i) => `{"i":${i}}`));
    const kinds: string[] = [];
    for await (const ev of partitionInput([file], { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 2, groupBatches: true })) {
      kinds.push(ev.type === 'batches' ? `batches ${ev.batches.map((b) => b.index).join(',')}` : ev.type);
    }
    expect(kinds).toEqual(['batches 0,1,2,3,4', 'file']);
  });
});
