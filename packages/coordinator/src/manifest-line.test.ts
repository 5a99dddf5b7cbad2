import { describe, expect, it } from 'vitest';
import type { BatchDescriptor } from '@djc/core';
import { BatchLines } from './manifest-line.js';

const source = { size: 12_888_890, mtimeMs: 1_796_338_171_069.125 };
const common = (index: number, file = '/data/in "quoted",\n\u2028é.jsonl', src: object = source): BatchDescriptor => ({
  index, file, start: index * 9, end: index * 9 + 9, firstRecord: index, records: 1, source: src as BatchDescriptor['source'],
});

describe('a manifest batch line', () => {
  it('is JSON.stringify(batch) byte for byte, for the common shape and every other', () => {
    const lines = new BatchLines();
    const other = { size: 5, mtimeMs: 2, version: '"etag"' };
    const batches: BatchDescriptor[] = [
      common(0), common(1), common(2, '/b.jsonl'), common(3, '/b.jsonl', other), common(4),
      { ...common(5), firstRecord: null, records: null },
      { ...common(6), start: 0, end: 2 ** 53 - 1 },
      // Not the common shape: stringified.
      { ...common(7), headerEnd: 12 },
      { ...common(8), records: 1.5 },
      { ...common(9), start: Number.NaN },
      { index: 10, file: '/c', start: 0, end: 1, firstRecord: 0, records: 1 },
      { file: '/c', index: 11, start: 0, end: 1, firstRecord: 0, records: 1, source },
      { ...common(12), rowGroups: { first: 0, count: 2 } },
      { ...common(13), files: ['/a', '/b'] } as BatchDescriptor,
      common(14),
    ];
    for (const b of batches) expect(lines.line(b)).toBe(JSON.stringify(b));
  });

  it('follows a new source object of the same file', () => {
    const lines = new BatchLines();
    expect(lines.line(common(0))).toBe(JSON.stringify(common(0)));
    const changed = { size: 1, mtimeMs: 3 };
    expect(lines.line(common(1, undefined, changed))).toBe(JSON.stringify(common(1, undefined, changed)));
  });
});
