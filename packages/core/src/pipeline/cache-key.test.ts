import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobConfigInput } from '../config/schema.js';
import { stageRun, type StageRunOptions } from '../testing/stage-runs.js';
import { cacheComponents, cacheKey, combinedResult, taskKey } from './cache-key.js';
import { CacheComponentsSchema } from './cache-components.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'djc-cache-key-'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data/a.jsonl'), '{"a":1}\n{"a":2}\n');
  await writeFile(join(dir, 'clean.ts'), 'import { norm } from "./norm.ts";\nexport const clean = (rs: unknown[]) => rs.map(norm);\n');
  await writeFile(join(dir, 'norm.ts'), 'export const norm = (r: unknown) => r;\n');
  await writeFile(join(dir, 'train.py'), 'print(1)\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Config = Omit<JobConfigInput, 'name'>;
const moduleStage = (): Config => ({
  input: { path: join(dir, 'data/*.jsonl'), format: 'jsonl', batch: { records: 1000 } },
  handler: { module: `${join(dir, 'clean.ts')}#clean` },
});
const commandStage = (): Config => ({
  input: { path: join(dir, 'data/a.jsonl') },
  handler: { command: 'python3 train.py --lr 0.1' },
});
const noUpstream = () => null;

async function keyOf(config: Config, opts: StageRunOptions = {}): Promise<string | null> {
  return cacheKey((await cacheComponents(stageRun(config, opts), noUpstream)).components);
}

describe('cache key: what changes it and what does not', () => {
  const same: Array<[string, (c: Config) => Config]> = [
    ['compute.workers', (c) => ({ ...c, compute: { workers: 16 } })],
    ['compute.concurrency', (c) => ({ ...c, compute: { concurrency: 8 } })],
    ['compute.dispatcher and slurm partition', (c) => ({ ...c, compute: { dispatcher: 'slurm', slurm: { partition: 'gpu' } } })],
    ['compute.timeout and lease', (c) => ({ ...c, compute: { timeout: '1h', lease: '2m' } })],
    ['compute.memory', (c) => ({ ...c, compute: { memory: '2GiB' } })],
    ['retry', (c) => ({ ...c, retry: { max_attempts: 9 } })],
    ['notification', (c) => ({ ...c, notification: { command: 'echo done' } })],
    ['output.path', (c) => ({ ...c, output: { path: join(dir, 'out.jsonl') } })],
    ['input.materialize', (c) => ({ ...c, input: { ...c.input, materialize: true } as Config['input'] })],
    ['tolerated_failure and fail_fast', (c) => ({ ...c, tolerated_failure: 3, fail_fast: false })],
    ['description and labels', (c) => ({ ...c, description: 'x', labels: { team: 'a' } })],
  ];
  it.each(same)('%s: same key', async (_what, change) => {
    expect(await keyOf(change(moduleStage()))).toBe(await keyOf(moduleStage()));
  });

  const differs: Array<[string, (c: Config) => Config]> = [
    ['input.batch.records', (c) => ({ ...c, input: { ...c.input, batch: { records: 10 } } as Config['input'] })],
    ['input.batch by bytes', (c) => ({ ...c, input: { ...c.input, batch: { bytes: '1MiB' } } as Config['input'] })],
    ['input.format', (c) => ({ ...c, input: { ...c.input, format: 'text' } as Config['input'] })],
    ['input.on_bad_record', (c) => ({ ...c, input: { ...c.input, on_bad_record: 'skip' } as Config['input'] })],
    ['input.compression', (c) => ({ ...c, input: { ...c.input, compression: 'none' } as Config['input'] })],
    ['output.aggregate', (c) => ({ ...c, output: { aggregate: 'none' } })],
    ['output.reduce_command', (c) => ({ ...c, output: { reduce_command: 'wc -l' } })],
    ['the handler export', (c) => ({ ...c, handler: { module: `${join(dir, 'clean.ts')}#other` } })],
  ];
  it.each(differs)('%s: another key', async (_what, change) => {
    expect(await keyOf(change(moduleStage()))).not.toBe(await keyOf(moduleStage()));
  });

  it('a module\'s imported file, the command string, handler.files, handler.env and handler.io change it', async () => {
    const base = await keyOf(moduleStage());
    await writeFile(join(dir, 'norm.ts'), 'export const norm = (r: unknown) => ({ r });\n');
    expect(await keyOf(moduleStage())).not.toBe(base);

    const files = { handlerFiles: [join(dir, 'train.py')] };
    const cmd = await keyOf(commandStage(), files);
    expect(await keyOf({ ...commandStage(), handler: { command: 'python3 train.py --lr 0.2' } }, files)).not.toBe(cmd);
    expect(await keyOf({ ...commandStage(), handler: { command: 'python3 train.py --lr 0.1', env: { SEED: 1 } } }, files)).not.toBe(cmd);
    expect(await keyOf({ ...commandStage(), handler: { command: 'python3 train.py --lr 0.1', io: 'file' } }, files)).not.toBe(cmd);
    await writeFile(join(dir, 'train.py'), 'print(2)\n');
    expect(await keyOf(commandStage(), files)).not.toBe(cmd);
  });

  it('csv options count only for csv input', async () => {
    const csv = (delimiter: string): Config => ({ ...moduleStage(), input: { path: join(dir, 'data/a.jsonl'), format: 'csv', csv: { delimiter } } });
    expect(await keyOf(csv(';'))).not.toBe(await keyOf(csv(',')));
  });

  it('input files: size and mtime by default, content with input.checksum; a new file matched by the glob changes it', async () => {
    const base = await keyOf(moduleStage());
    const touched = new Date(Date.now() + 5000);
    const { utimes } = await import('node:fs/promises');
    await utimes(join(dir, 'data/a.jsonl'), touched, touched);
    expect(await keyOf(moduleStage())).not.toBe(base);

    const withChecksum = await keyOf(moduleStage(), { checksum: true });
    const later = new Date(Date.now() + 10_000);
    await utimes(join(dir, 'data/a.jsonl'), later, later);
    expect(await keyOf(moduleStage(), { checksum: true })).toBe(withChecksum);
    await writeFile(join(dir, 'data/a.jsonl'), '{"a":1}\n{"a":3}\n');
    expect(await keyOf(moduleStage(), { checksum: true })).not.toBe(withChecksum);

    const one = await keyOf(moduleStage());
    await writeFile(join(dir, 'data/b.jsonl'), '{"b":1}\n');
    expect(await keyOf(moduleStage())).not.toBe(one);
  });

  it('params and point: only those the run uses are in it', async () => {
    const clean = await keyOf(moduleStage(), { paramsUsed: { min_len: 3 } });
    expect(await keyOf(moduleStage(), { paramsUsed: { min_len: 4 } })).not.toBe(clean);
    // a sweep over lr: the clean stage does not use lr, so every point's upstream is the same clean run
    const train = (lr: number) => keyOf(commandStage(), { stage: 'train', point: { lr }, paramsUsed: { min_len: 3 } });
    expect(await train(0.1)).not.toBe(await train(0.01));
    expect(await train(0.1)).toBe(await train(0.1));
  });

  it('an upstream-fed run has no key until every upstream\'s output is known, then keys by the output hashes', async () => {
    const run = stageRun({ input: { path: 'upstream:clean' }, handler: { module: `${join(dir, 'clean.ts')}#clean` } }, {
      stage: 'stats', upstream: { from: ['clean', 'embed'], each: null },
    });
    const known: Record<string, string | null> = { clean: 'a'.repeat(64), embed: null };
    expect(cacheKey((await cacheComponents(run, (s) => known[s] ?? null)).components)).toBeNull();
    known.embed = 'b'.repeat(64);
    const k1 = cacheKey((await cacheComponents(run, (s) => known[s] ?? null)).components);
    known.embed = 'c'.repeat(64);
    const k2 = cacheKey((await cacheComponents(run, (s) => known[s] ?? null)).components);
    expect(k1).toMatch(/^[0-9a-f]{64}$/);
    expect(k2).not.toBe(k1);
  });

  it('the task key ignores the input files, the batch size and the output settings, not the handler', async () => {
    const task = async (c: Config) => taskKey((await cacheComponents(stageRun(c), noUpstream)).components);
    const base = await task(moduleStage());
    await writeFile(join(dir, 'data/a.jsonl'), '{"a":1}\n{"a":2}\n{"a":3}\n');
    expect(await task({ ...moduleStage(), input: { ...moduleStage().input, batch: { records: 2 } } as Config['input'], output: { aggregate: 'none' } })).toBe(base);
    expect(await task({ ...moduleStage(), input: { ...moduleStage().input, on_bad_record: 'skip' } as Config['input'] })).not.toBe(base);
    await writeFile(join(dir, 'clean.ts'), 'export const clean = () => [];\n');
    expect(await task(moduleStage())).not.toBe(base);
  });

  it('components survive a round trip through JSON and the stored schema', async () => {
    const { components } = await cacheComponents(stageRun(moduleStage(), { paramsUsed: { min_len: 3 }, point: { lr: 0.1 } }), noUpstream);
    const back = CacheComponentsSchema.parse(JSON.parse(JSON.stringify(components)));
    expect(cacheKey(back)).toBe(cacheKey(components));
  });

  it('warns when a command runs a script that handler.files does not list', async () => {
    expect((await cacheComponents(stageRun(commandStage()), noUpstream)).warnings).toEqual([
      'the command runs train.py, which is not in handler.files: only the command string is in the cache key, so an edit of it is not seen; list it in handler.files',
    ]);
    expect((await cacheComponents(stageRun(commandStage(), { handlerFiles: [join(dir, 'train.py')] }), noUpstream)).warnings).toEqual([]);
    const cmd = async (command: string) => (await cacheComponents(stageRun({ ...commandStage(), handler: { command } }), noUpstream)).warnings;
    expect(await cmd('wc -l')).toEqual([]);
    expect(await cmd('echo ${stages.clean.output}')).toEqual([]);
    expect(await cmd('./run.sh --fast && Rscript "lib/fit.R"')).toEqual([expect.stringMatching(/^the command runs \.\/run\.sh, lib\/fit\.R, /)]);
  });

  it('combinedResult: a matrix upstream\'s output is known once every point\'s is', () => {
    expect(combinedResult(['a'])).toBe('a');
    expect(combinedResult(['a', null])).toBeNull();
    expect(combinedResult(['a', 'b'])).not.toBe(combinedResult(['b', 'a']));
  });
});
