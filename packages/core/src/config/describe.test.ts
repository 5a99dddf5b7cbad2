import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeExpected, editDistance, formatPath, schemaAt, suggest, type JsonSchemaNode } from './describe.js';
import { JobConfigSchema } from './schema.js';
import { parseSetValue } from './substitute.js';

const schema = JobConfigSchema.toJSONSchema({ io: 'input' }) as unknown as JsonSchemaNode;
const expected = (...path: Array<string | number>) => describeExpected(schemaAt(schema, path));

describe('what a key expects, read from the JSON Schema', () => {
  it.each([
    [['input', 'batch', 'records'], 'a positive integer'],
    [['compute', 'workers'], 'an integer from 1 to 10000'],
    [['retry', 'backoff', 'multiplier'], 'a number from 1 to 10'],
    [['input', 'format'], 'one of "jsonl", "csv", "text", "parquet", "binary", "files"'],
    [['input', 'csv', 'delimiter'], 'a single character'],
    [['input', 'path', 0], 'a non-empty string'],
    [['notification', 'on'], 'a list of values from "succeeded", "failed", "cancelled", "timeout"'],
    [['retry', 'non_retryable_exit_codes', 0], 'an integer from 1 to 255'],
    [['compute', 'slurm', 'account'], 'a string or null'],
    [['labels'], 'a mapping of names to strings'],
    [['input', 'batch', 'bytes'], 'a size such as "512KiB", "64MiB", "1GB", or a number of bytes (at most 1TiB)'],
    [['tolerated_failure'], 'a percentage of tasks ("5%") or a count (3)'],
  ] as const)('%j expects %s', (path, text) => {
    expect(expected(...path)).toBe(text);
  });

  it('knows no schema for keys that do not exist', () => {
    expect(schemaAt(schema, ['input', 'bach'])).toBeUndefined();
  });
});

describe('suggestions', () => {
  it('finds typos, swapped letters and case slips, and nothing for unrelated words', () => {
    const keys = ['records', 'bytes', 'files', 'row_groups'];
    expect(suggest('recrods', keys)).toBe('records');
    expect(suggest('Files', keys)).toBe('files');
    expect(suggest('rowgroups', keys)).toBe('row_groups');
    expect(suggest('size', keys)).toBeUndefined();
    expect(editDistance('bach', 'batch')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('formatPath', () => {
  it('dots keys, brackets indices, quotes odd keys', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['input', 'batch', 'records'])).toBe('input.batch.records');
    expect(formatPath(['notification', 'on', 1])).toBe('notification.on[1]');
    expect(formatPath(['labels', 'a.b'])).toBe('labels["a.b"]');
  });
});

describe('parseSetValue', () => {
  it.each([
    ['8', 8],
    ['true', true],
    ['abc', 'abc'],
    ['', ''],
    ['1.5', 1.5],
    ['"8"', '8'],
    ['[failed, cancelled]', ['failed', 'cancelled']],
    ['python x.py --a: b', 'python x.py --a: b'],
    ['- x', '- x'],
  ] as const)('%j is %j', (raw, value) => {
    expect(parseSetValue(raw)).toEqual(value);
  });
});

describe('generated files', () => {
  it('schema/job.schema.json and docs/configuration.md match the schema (else run pnpm gen:config-docs)', async () => {
    const script = fileURLToPath(new URL('../../../../scripts/gen-config-docs.mjs', import.meta.url));
    const run = promisify(execFile)(process.execPath, [script, '--check']);
    await expect(run).resolves.toMatchObject({ stderr: 'schema/job.schema.json and docs/configuration.md are up to date\n' });
  });
});
