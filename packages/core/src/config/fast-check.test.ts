/**
 * The hand check of a job config against the zod schema it stands in for:
 * on every config below, and on every one-key mutation of them, it either
 * returns exactly what the schema returns (same values, same key order) or
 * null (the schema then decides and explains). It must never accept what
 * the schema refuses, and it must accept the common valid configs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { fastJobConfig } from './fast-check.js';
import { JobConfigSchema } from './schema.js';

type Obj = Record<string, unknown>;

const VALID: Obj[] = [
  { name: 'first', input: { path: 'one.jsonl', format: 'jsonl', batch: { records: 1 } }, handler: { module: './entered.mjs#entered' }, compute: { workers: 1 } },
  { name: 'cmd', input: { path: ['a.csv', 'b/*.csv'], format: 'csv', csv: { delimiter: ';', header: false } }, handler: { command: 'cat', io: 'file', env: { A: 1, B: true, C: 'x' } } },
  {
    name: 'all_keys-1', description: 'everything', labels: { team: 'x' }, parameters: { n: 3, s: 'a', b: false },
    input: { path: 'in', checksum: true, format: 'text', batch: { bytes: '64MiB' }, compression: 'gzip', on_bad_record: 'dead_letter', materialize: true },
    handler: { module: './h.ts', files: ['x.txt'], rate_limit: { calls: 5, per: '2s' } },
    compute: {
      dispatcher: 'external', workers: 8, concurrency: 10, timeout: '1h30m', lease: 60, memory: '512MiB', worker_orphan_timeout: '2m',
      resources: { cpus: 0.5, memory: '1GiB', gpus: 1 }, max_worker_deaths: { count: 7, per: '1m' },
    },
    retry: { max_attempts: 5, backoff: { initial: '500ms', max: '10s', multiplier: 1.5, jitter: false }, retry_on: ['timeout', 'signal'], non_retryable_exit_codes: [2, 3] },
    tolerated_failure: '5%', fail_fast: false, output: { path: 'out.jsonl', aggregate: 'none', reduce: './r.mjs#reduce' }, priority: 'high', deadline: '2h',
  },
  { name: 'files', input: { path: 'dir', format: 'files', batch: { files: 10 } }, handler: { command: 'wc -c' }, output: { reduce_command: 'sort' }, tolerated_failure: 3, priority: -5 },
  { name: 'parquet', input: { path: 'x.parquet', format: 'parquet', batch: { row_groups: 2 } }, handler: { command: 'cat' }, tolerated_failure: ' 12 ', retry: { backoff: { initial: 0 } } },
  { name: 'binary', input: { path: 'x.bin', format: 'binary', binary: { record_size: 16 }, compression: 'zstd' }, handler: { command: 'cat' }, deadline: 5 },
  { name: 'binary2', input: { path: 'x.bin', format: 'binary', binary: {}, batch: { bytes: 1024 } }, handler: { command: 'cat' } },
];

/** Values that break (or stress) a key: each is set in turn at every key path of every valid config. */
const ODD: unknown[] = [
  null, undefined, true, false, 0, -1, 1, 1.5, 1e20, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, '', ' ', 'abc', '10x', '1h', '0s', '1', '100%', '101%',
  '64MiB', '2TiB', '1KiB', ',', ';;', 'jsonl', 'parquet', 'files', 'binary', 'gzip', 'none', 'urgent', 'low', 'error', 'stdin', 'slurm', 'dag://x', './m.mjs#bad-name',
  '#x', [], ['a'], [''], [1], ['timeout'], {}, { x: 1 }, { records: 1 }, { bytes: '1MiB' }, { calls: 1 }, { __proto__: null },
];

function paths(v: unknown, prefix: string[] = []): string[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const keys = Object.keys(v as Obj);
  return [prefix, ...keys.flatMap((k) => paths((v as Obj)[k], [...prefix, k]))];
}

function setAt(root: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(root) as Obj;
  if (path.length === 0) return value;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Obj;
  o[path.at(-1)!] = value;
  return copy;
}

/** The hand check agrees with zod: null, or zod accepts and returns the same JSON. Returns whether the hand check decided. */
function agrees(data: unknown): boolean {
  // Neither changes its input (the output is a new object).
  const fast = fastJobConfig(data);
  const zod = JobConfigSchema.safeParse(data);
  if (fast === null) return false;
  expect(zod.success, `the hand check accepted what zod refuses: ${JSON.stringify(data)} → ${zod.success ? '' : zod.error.message}`).toBe(true);
  expect(JSON.stringify(fast), JSON.stringify(data)).toBe(JSON.stringify(zod.data));
  return true;
}

describe('fastJobConfig', () => {
  it('returns what the zod schema returns for valid configs, keys in the same order', () => {
    for (const config of VALID) expect(agrees(config), JSON.stringify(config)).toBe(true);
    const yaml = parseYaml('name: first\ninput: { path: one.jsonl, format: jsonl, batch: { records: 1 } }\nhandler: { module: ./entered.mjs#entered }\ncompute: { workers: 1 }\n');
    expect(agrees(yaml), 'a config as YAML reads it').toBe(true);
  });

  // ~8,000 zod parses: a few seconds, many more on a loaded machine.
  it('never accepts a config the schema refuses, nor returns another value (every key of every config set to odd values, added keys)', { timeout: 180_000 }, () => {
    let decided = 0;
    let total = 0;
    for (const config of VALID) {
      for (const path of paths(config)) {
        for (const value of ODD) {
          total++;
          if (agrees(setAt(config, path, value))) decided++;
        }
        if (path.length > 0) {
          total++;
          if (agrees(setAt(config, [...path.slice(0, -1), 'extra_key'], 1))) decided++;
        }
      }
    }
    // Most mutations are invalid (zod explains them); some are valid and still decided by hand.
    expect(total).toBeGreaterThan(5000);
    expect(decided).toBeGreaterThan(200);
  });

  it('agrees with the schema on the job files of examples/ (the wordcount, CSV and flaky ones are decided by hand)', () => {
    const decided = ['wordcount/job.yaml', 'csv-command/job.yaml', 'flaky/job.yaml', 'wordcount/slurm.yaml'].map((f) => {
      const data: unknown = parseYaml(readFileSync(fileURLToPath(new URL(`../../../../examples/${f}`, import.meta.url)), 'utf8'));
      expect(JobConfigSchema.safeParse(data).success, f).toBe(true);
      return agrees(data);
    });
    // slurm.yaml sets compute.slurm: left to the schema.
    expect(decided).toEqual([true, true, true, false]);
  });

  it('leaves to the schema what it does not check: slurm, speculate, notification, null for a defaulted section', () => {
    const base = VALID[0]!;
    for (const extra of [{ compute: { dispatcher: 'slurm', slurm: { partition: 'p' } } }, { compute: { speculate: { after: 'p95x2' } } }, { notification: { command: 'echo' } }, { retry: null }]) {
      const data = { ...base, ...extra };
      expect(fastJobConfig(data), JSON.stringify(extra)).toBeNull();
    }
  });
});
