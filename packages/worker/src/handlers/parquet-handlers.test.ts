import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { partitionInput, type BatchDescriptor } from '@djc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corruptRowGroup, writeSampleParquet } from '../../../core/src/testing/parquet-fixtures.js';
import { output, spec, tempDir } from '../../test-fixtures/attempt-spec.js';
import { createHandlerRunner, type AttemptResult, type HandlerRunner } from './index.js';

const PARQUET = { format: 'parquet' as const, csv: { delimiter: ',', header: true, quote: '"' } };

let tmp: ReturnType<typeof tempDir>;
let runner: HandlerRunner;
let batches: BatchDescriptor[];
let expected: Record<string, unknown>[];

beforeAll(async () => {
  tmp = tempDir();
  runner = createHandlerRunner({ slots: 2 });
  const file = join(tmp.dir, 'rows.parquet');
  expected = writeSampleParquet(file, { rows: 10, rowGroupSize: 3, codec: 'SNAPPY' });
  batches = [];
  for await (const ev of partitionInput([file], { ...PARQUET, batchRecords: 1000, batchRowGroups: 2 })) {
    if (ev.type === 'batch') batches.push(ev.batch);
  }
});

afterAll(async () => {
  await runner.close();
  tmp.cleanup();
});


const lines = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

describe('parquet batches in handlers', () => {
  it('a module handler gets the rows of its row groups as objects', async () => {
    writeFileSync(join(tmp.dir, 'echo.mjs'), 'export default (records, ctx) => records.map((r) => ({ ...r, batch: ctx.batch }));\n');
    const b = batches[1] as BatchDescriptor;
    expect(b.rowGroups).toEqual({ first: 2, count: 2 });
    const r = await runner.run(spec(tmp.dir, b, { module: join(tmp.dir, 'echo.mjs'), input: PARQUET }));
    expect(r).toMatchObject({ ok: true, records: 4 });
    const batch = { index: 1, records: 4, firstRecord: 6 };
    expect(output(r)).toBe(lines(expected.slice(6, 10).map((row) => ({ ...row, batch }))));
  });

  it('io: file writes the rows as JSON lines to $DJC_INPUT; the env names the file and row groups', async () => {
    const b = batches[0] as BatchDescriptor;
    const command = 'cp "$DJC_INPUT" "$DJC_OUTPUT" && echo "$DJC_INPUT_FILE $DJC_PARQUET_ROW_GROUPS $DJC_BATCH_RECORDS" >> "$DJC_OUTPUT"';
    const r = await runner.run(spec(tmp.dir, b, { command, io: 'file', input: PARQUET }));
    expect(output(r)).toBe(`${lines(expected.slice(0, 6))}${b.file} 0,2 6\n`);
  });

  it('an undecodable row group fails the attempt without retries, naming the file and the row group', async () => {
    const file = join(tmp.dir, 'bad.parquet');
    writeSampleParquet(file, { rows: 10, rowGroupSize: 3 });
    corruptRowGroup(file, 3, 2);
    // The batch of another file with the same layout; without `source`, so that the file's own stat is not compared.
    const bad = { ...(batches[1] as BatchDescriptor), file, source: undefined };
    for (const over of [{ command: 'cat' }, { module: join(tmp.dir, 'echo.mjs') }]) {
      const r = await runner.run(spec(tmp.dir, bad, { ...over, input: PARQUET }));
      expect(r).toMatchObject({ ok: false, failure: 'error', retryable: false });
      if (r.ok) continue;
      expect(r.error).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}: Parquet row group 3 cannot be decoded \\(rows 9-9 of the file, batch 1\\): `));
    }
  });
});
