import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import { corruptRowGroup, writeSampleParquet } from '../testing/parquet-fixtures.js';
import type { DeadLetter } from './bad-record.js';
import { batchBytes } from './batch-stream.js';
import { readBatchRecords } from './read-batch.js';
import {
  CSV_DEFAULTS, int, partitionAll, pick, prng, tempDir, type Rand, type TempDir,
} from './testing.js';
import type { PartitionOptions, ReadOptions } from './types.js';

// Bad records under each policy, for both readers (values for module
// handlers, the byte stream for command handlers): skip and dead_letter
// yield exactly the good records and stream exactly the file's bytes less
// the bad records' lines; each bad record reaches the sink with an offset
// that points at it; fail stops at the first with file, line and offset.

let tmp: TempDir;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.remove();
});


interface Case {
  content: string;
  good: unknown[];
  /** Bad records' texts, in file order. */
  bad: string[];
}

/** JSON lines, some of them not JSON, with CRLF or LF, blank lines, multi-byte characters and maybe no final newline. */
function jsonlCase(r: Rand): Case {
  const lines: string[] = [];
  const good: unknown[] = [];
  const bad: string[] = [];
  for (let i = int(r, 0, 30); i > 0; i--) {
    if (r() < 0.1) lines.push(pick(r, ['', ' ', '\t']));
    if (r() < 0.3) {
      const text = pick(r, ['{"a":', 'nope', '{"é":1', '[1,2', '"unterminated', '{"x":1}}', 'tru', '🎉']);
      bad.push(text);
      lines.push(text);
    } else {
      const v = { i, s: pick(r, ['x', 'ü', '日本', '']) };
      good.push(v);
      lines.push(JSON.stringify(v));
    }
  }
  const eol = pick(r, ['\n', '\r\n']);
  return { content: lines.join(eol) + (r() < 0.5 ? eol : ''), good, bad };
}

/** CSV with a header; bad rows have the wrong field count. Quoted fields may hold newlines. */
function csvCase(r: Rand): Case {
  const rows: string[] = ['id,note'];
  const good: unknown[] = [];
  const bad: string[] = [];
  for (let i = int(r, 0, 30); i > 0; i--) {
    const note = pick(r, ['a', '"b\nc"', '"d,e"', 'ß']);
    if (r() < 0.3) {
      const text = pick(r, [`${i}`, `${i},${note},extra`, `${i},"x\ny",z`]);
      bad.push(text);
      rows.push(text);
    } else {
      rows.push(`${i},${note}`);
      good.push({ id: String(i), note: note.startsWith('"') ? note.slice(1, -1) : note });
    }
  }
  const eol = pick(r, ['\n', '\r\n']);
  return { content: rows.join(eol) + (r() < 0.5 ? eol : ''), good, bad };
}

/** The batch's bytes as a command would get them: the header, then [start, end) less the bad records (each with its line ending). */
function expectedStream(bytes: Buffer, b: BatchDescriptor, letters: DeadLetter[], header: boolean): Buffer {
  const parts: Buffer[] = [header ? bytes.subarray(0, b.headerEnd) : Buffer.alloc(0)];
  let at = b.start;
  for (const d of letters) {
    parts.push(bytes.subarray(at, d.offset));
    at = d.offset + (d.base64 === undefined ? Buffer.byteLength(d.text ?? '') : Buffer.from(d.base64, 'base64').length);
    if (bytes[at] === 13) at++;
    if (bytes[at] === 10) at++;
  }
  parts.push(bytes.subarray(at, b.end));
  return Buffer.concat(parts);
}

async function runCase(format: 'jsonl' | 'csv', seed: number): Promise<void> {
  const r = prng(seed);
  const c = format === 'jsonl' ? jsonlCase(r) : csvCase(r);
  const file = await tmp.file(`bad-${seed}.${format}`, c.content);
  const bytes = await readFile(file);
  const byBytes = r() < 0.5;
  const opts: PartitionOptions = {
    format,
    csv: CSV_DEFAULTS,
    batchRecords: int(r, 1, 8),
    ...(byBytes ? { batchBytes: int(r, 1, 120) } : {}),
    onBadRecord: pick(r, ['skip', 'dead_letter'] as const),
    readBufferSize: pick(r, [1, 2, 3, 7, 64, 1 << 20]),
  };
  const note = `seed ${seed} ${format} ${JSON.stringify({ ...opts, csv: undefined })} ${JSON.stringify(c.content)}`;
  const { batches } = await partitionAll([file], opts);
  const values: unknown[] = [];
  const letters: DeadLetter[] = [];
  for (const b of batches) {
    const own: DeadLetter[] = [];
    for await (const v of readBatchRecords(b, opts, (d) => own.push(d))) values.push(v);
    const streamed: DeadLetter[] = [];
    const { chunks, tally } = batchBytes(b, opts, (d) => streamed.push(d));
    const got = await buffer(Readable.from(chunks));
    expect(streamed, note).toEqual(own);
    expect(got.equals(expectedStream(bytes, b, own, format === 'csv')), `stream of batch ${b.index}, ${note}`).toBe(true);
    expect(tally.bad, note).toBe(own.length);
    letters.push(...own);
  }
  expect(values, note).toEqual(c.good);
  expect(letters.map((d) => d.text), note).toEqual(c.bad);
  for (const d of letters) {
    expect(bytes.subarray(d.offset).toString('utf8').startsWith(d.text as string), note).toBe(true);
    expect(d.problem, note).toMatch(format === 'jsonl' ? /^invalid JSON/ : /fields|quote/);
    expect(batches[d.batch]?.start ?? Infinity, note).toBeLessThanOrEqual(d.offset);
  }
}

describe('skip and dead_letter (seeded random files)', () => {
  it.each(['jsonl', 'csv'] as const)('%s: both readers leave out exactly the bad records and report each with its offset', async (format) => {
    for (let i = 0; i < 60; i++) await runCase(format, (format === 'jsonl' ? 5000 : 6000) + i);
  });
});

describe('fail', () => {
  it('stops at the first bad record with the file, line, byte offset, a snippet and the fix, in both readers', async () => {
    const content = '{"a":1}\n{"a":2}\n\n{"a":\n{"a":4}\n';
    const file = await tmp.file('fail.jsonl', content);
    const opts: ReadOptions & PartitionOptions = { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 10 };
    const { batches } = await partitionAll([file], opts);
    const b = batches[0] as BatchDescriptor;
    const read = async () => {
      for await (const _ of readBatchRecords(b, opts));
    };
    const streamed = async () => buffer(Readable.from(batchBytes(b, opts).chunks));
    for (const attempt of [read, streamed]) {
      const e = await attempt().then(() => null, (x: unknown) => x);
      expect(isDjcError(e, 'INPUT_INVALID')).toBe(true);
      const err = e as Error & { hint?: string };
      expect(err.message).toBe(`${file}:4: invalid JSON (${jsonError('{"a":')}) (batch 0, record 2 counting from 0, byte offset ${content.indexOf('{"a":\n')}): "{\\"a\\":"`);
      expect(err.hint).toMatch(/on_bad_record to skip or dead_letter/);
    }
  });

  it('a policy other than fail without a sink is refused (bad records would vanish)', async () => {
    const file = await tmp.file('x.jsonl', '1\n');
    const { batches } = await partitionAll([file], { format: 'jsonl', csv: CSV_DEFAULTS, batchRecords: 1 });
    const opts: ReadOptions = { format: 'jsonl', csv: CSV_DEFAULTS, onBadRecord: 'skip' };
    await expect(readBatchRecords(batches[0] as BatchDescriptor, opts).next()).rejects.toThrow(/needs a sink/);
    expect(() => batchBytes(batches[0] as BatchDescriptor, opts)).toThrow(/needs a sink/);
  });
});

describe('invalid UTF-8', () => {
  // Line 3 holds a Latin-1 byte, line 5 a cut 3-byte sequence; line 4 holds a real U+FFFD, which is valid.
  const lines = (format: 'jsonl' | 'csv' | 'text'): Buffer[] => {
    const rec = (s: string) => Buffer.from(format === 'jsonl' ? JSON.stringify({ s }) : format === 'csv' ? `x,${s}` : s);
    const head = format === 'csv' ? [Buffer.from('k,s')] : [];
    return [...head, rec('a'), rec('日本'), Buffer.concat([rec('caf'), Buffer.from([0xe9])]), rec('\uFFFD ok'), Buffer.concat([rec('x'), Buffer.from([0xe6, 0x97])]), rec('z')];
  };
  const goodOf = (format: 'jsonl' | 'csv' | 'text'): unknown[] => {
    const vals = ['a', '日本', '\uFFFD ok', 'z'];
    return vals.map((s) => (format === 'jsonl' ? { s } : format === 'csv' ? { k: 'x', s } : s));
  };

  it.each(['jsonl', 'csv', 'text'] as const)('%s: a record that is not UTF-8 is a bad record in both readers, with its raw bytes kept', async (format) => {
    const parts = lines(format);
    const bytes = Buffer.concat(parts.flatMap((p) => [p, Buffer.from('\n')]));
    const file = await tmp.file(`utf8.${format}`, bytes);
    const header = format === 'csv' ? 1 : 0;
    for (const size of [1, 2, 3, 5, 64]) {
      const opts: PartitionOptions = { format, csv: CSV_DEFAULTS, batchRecords: 3, onBadRecord: 'dead_letter', readBufferSize: size };
      const { batches } = await partitionAll([file], opts);
      const values: unknown[] = [];
      const letters: DeadLetter[] = [];
      for (const b of batches) {
        const own: DeadLetter[] = [];
        for await (const v of readBatchRecords(b, opts, (d) => own.push(d))) values.push(v);
        const streamed: DeadLetter[] = [];
        const { chunks, tally } = batchBytes(b, opts, (d) => streamed.push(d));
        const got = await buffer(Readable.from(chunks));
        expect(streamed).toEqual(own);
        expect(got.equals(expectedStream(bytes, b, own, format === 'csv'))).toBe(true);
        expect(tally.bad).toBe(own.length);
        letters.push(...own);
      }
      expect(values).toEqual(goodOf(format));
      const bad = [parts[header + 2], parts[header + 4]] as Buffer[];
      expect(letters.map((d) => Buffer.from(d.base64 ?? '', 'base64'))).toEqual(bad);
      expect(letters.map((d) => d.offset)).toEqual(bad.map((p) => bytes.indexOf(p)));
      expect(letters.map((d) => [d.batch, d.record])).toEqual([[0, 2], [1, 1]]);
      expect(letters[0]?.problem).toBe(`invalid UTF-8 (byte 0xe9 at byte offset ${bytes.indexOf(parts[header + 2] as Buffer) + (parts[header + 2] as Buffer).length - 1})`);
      expect(letters[1]?.problem).toMatch(/^invalid UTF-8 \(byte 0xe6 at byte offset \d+\)$/);
    }
  });

  it('fail: the message names the line, and the record as its dead letter numbers it', async () => {
    const bytes = Buffer.concat([Buffer.from('ok\nok\nbad '), Buffer.from([0xff]), Buffer.from('\n')]);
    const file = await tmp.file('fail-utf8.txt', bytes);
    const opts: ReadOptions & PartitionOptions = { format: 'text', csv: CSV_DEFAULTS, batchRecords: 10 };
    const { batches } = await partitionAll([file], opts);
    const b = batches[0] as BatchDescriptor;
    const read = async () => {
      for await (const _ of readBatchRecords(b, opts));
    };
    const streamed = async () => buffer(Readable.from(batchBytes(b, opts).chunks));
    for (const attempt of [read, streamed]) {
      const e = await attempt().then(() => null, (x: unknown) => x);
      expect(isDjcError(e, 'INPUT_INVALID')).toBe(true);
      expect((e as Error).message).toBe(`${file}:3: invalid UTF-8 (byte 0xff at byte offset 10) (batch 0, record 2 counting from 0, byte offset 6): "bad \uFFFD"`);
    }
  });
});

describe('parquet', () => {
  it('skip: an undecodable row group is left out, reported once with its rows, and the other rows come back', async () => {
    const file = `${tmp.dir}/bad.parquet`;
    const expected = writeSampleParquet(file, { rows: 12, rowGroupSize: 3 });
    corruptRowGroup(file, 2, 2);
    const opts: PartitionOptions = { format: 'parquet', csv: CSV_DEFAULTS, batchRecords: 1, batchRowGroups: 2, onBadRecord: 'dead_letter' };
    const { batches } = await partitionAll([file], opts);
    const b = batches[1] as BatchDescriptor; // row groups 2 and 3: rows 6-11
    const letters: DeadLetter[] = [];
    const rows: unknown[] = [];
    for await (const v of readBatchRecords(b, opts, (d) => letters.push(d))) rows.push(v);
    expect(rows).toEqual(expected.slice(9, 12));
    expect(letters).toEqual([expect.objectContaining({ file, batch: 1, record: 0, rowGroup: 2, rows: 3 })]);
    expect(letters[0]?.problem).toMatch(/^row group cannot be decoded: /);
    const { chunks, tally } = batchBytes(b, opts, () => undefined);
    const text = (await buffer(Readable.from(chunks))).toString('utf8');
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(expected.slice(9, 12));
    expect(tally).toEqual({ records: 3, bad: 3 });
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}
