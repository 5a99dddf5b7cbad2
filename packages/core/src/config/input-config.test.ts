import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadJobFile, validateJobFile } from './load.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'djc-load-parquet-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function job(input: string[]): Promise<string> {
  await writeFile(join(dir, 'h.ts'), 'export default async () => 1;\n');
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(join(dir, 'data/a.parquet'), 'PAR1');
  await writeFile(join(dir, 'a.jsonl'), '{}\n');
  await writeFile(join(dir, 'job.yaml'), ['name: pq', 'input:', ...input, 'handler:', '  module: ./h.ts'].join('\n') + '\n');
  return join(dir, 'job.yaml');
}

describe('input.format: parquet', () => {
  it('is accepted, split by records or by row groups', async () => {
    const byGroups = await loadJobFile(await job(['  path: data/*.parquet', '  format: parquet', '  batch: { row_groups: 2 }']));
    expect(byGroups.config.input).toMatchObject({ format: 'parquet', batch: { row_groups: 2 } });
    const byRecords = await loadJobFile(await job(['  path: data/*.parquet', '  format: parquet', '  batch: { records: 500 }']));
    expect(byRecords.config.input).toMatchObject({ format: 'parquet', batch: { records: 500 } });
  });

  it('batch.row_groups with another format is an error at its path', async () => {
    const result = await validateJobFile(await job(['  path: a.jsonl', '  format: jsonl', '  batch:', '    row_groups: 2']));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => [i.path, i.line, i.message])).toEqual([
      ['input.batch.row_groups', 6, 'splits parquet input only (input.format is jsonl); use batch.records'],
    ]);
  });
});

describe('input.format: binary', () => {
  it('is accepted with batch.bytes, or with binary.record_size (sizes parsed)', async () => {
    const bytes = await loadJobFile(await job(['  path: a.jsonl', '  format: binary', '  batch: { bytes: 64MiB }']));
    expect(bytes.config.input).toMatchObject({ format: 'binary', batch: { bytes: 64 << 20 } });
    const records = await loadJobFile(await job(['  path: a.jsonl', '  format: binary', '  binary: { record_size: 4KiB }', '  batch: { records: 100 }']));
    expect(records.config.input).toMatchObject({ format: 'binary', binary: { record_size: 4096 }, batch: { records: 100 } });
  });

  it('without record_size or batch.bytes says how to split it; binary options with another format are an error', async () => {
    const bare = await validateJobFile(await job(['  path: a.jsonl', '  format: binary']));
    expect(bare.ok).toBe(false);
    if (bare.ok) return;
    expect(bare.issues.map((i) => [i.path, i.message])).toEqual([
      ['input.batch', 'binary input without input.binary.record_size is split by bytes: set batch.bytes (e.g. { bytes: 64MiB }), or binary.record_size to split by records'],
    ]);
    const misplaced = await validateJobFile(await job(['  path: a.jsonl', '  format: jsonl', '  binary:', '    record_size: 16']));
    expect(misplaced.ok).toBe(false);
    if (misplaced.ok) return;
    expect(misplaced.issues.map((i) => [i.path, i.line, i.message])).toEqual([['input.binary', 5, 'applies to format: binary only (input.format is jsonl)']]);
  });
});
