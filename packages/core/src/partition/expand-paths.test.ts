import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import { expandInputPaths } from './expand-paths.js';
import { tempDir, type TempDir } from './testing.js';

let tmp: TempDir;
beforeEach(async () => {
  tmp = await tempDir();
  await mkdir(path.join(tmp.dir, 'sub'));
  await mkdir(path.join(tmp.dir, 'dir.jsonl'));
  await mkdir(path.join(tmp.dir, 'run [old]'));
  for (const f of ['b.jsonl', 'a.jsonl', 'c.csv', '.hidden.jsonl', 'sub/d.jsonl', 'data[1].txt', 'run [old]/e.jsonl']) {
    await tmp.file(f, '');
  }
});
afterEach(async () => {
  await tmp.remove();
});

const p = (...parts: string[]) => path.join(tmp.dir, ...parts);

async function expectInvalid(paths: string[], fragment: string): Promise<void> {
  const err = await expandInputPaths(paths).catch((e: unknown) => e);
  expect(isDjcError(err, 'INPUT_INVALID')).toBe(true);
  expect((err as Error).message).toContain(fragment);
}

describe('expandInputPaths', () => {
  it('expands a glob to its files, sorted, skipping directories and hidden files', async () => {
    expect(await expandInputPaths([p('*.jsonl')])).toEqual([p('a.jsonl'), p('b.jsonl')]);
    expect(await expandInputPaths([p('**/*.jsonl')])).toEqual([
      p('a.jsonl'), p('b.jsonl'), p('run [old]/e.jsonl'), p('sub/d.jsonl'),
    ]);
    expect(await expandInputPaths([p('s*/*.jsonl')])).toEqual([p('sub/d.jsonl')]);
  });

  it('keeps the order of entries and drops duplicates where they repeat', async () => {
    expect(await expandInputPaths([p('c.csv'), p('*.jsonl'), p('b.jsonl'), p('c.csv')])).toEqual([
      p('c.csv'), p('a.jsonl'), p('b.jsonl'),
    ]);
  });

  it('takes existing files and directories literally even if their names look like globs', async () => {
    expect(await expandInputPaths([p('data[1].txt')])).toEqual([p('data[1].txt')]);
    expect(await expandInputPaths([p('run [old]/*.jsonl')])).toEqual([p('run [old]/e.jsonl')]);
  });

  it('a glob that matches nothing is INPUT_INVALID naming the pattern', async () => {
    await expectInvalid([p('a.jsonl'), p('*.parquet')], p('*.parquet'));
  });

  it('a missing file, a directory, no entries, or an unsupported URL is INPUT_INVALID', async () => {
    await expectInvalid([p('nope.jsonl')], p('nope.jsonl'));
    await expectInvalid([p('sub')], 'is a directory');
    await expectInvalid([], 'no files');
    await expectInvalid(['gs://bucket/x.jsonl'], 'gs://bucket/x.jsonl');
  });
});
