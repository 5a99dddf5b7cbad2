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
