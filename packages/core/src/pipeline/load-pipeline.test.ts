import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import type { ConfigIssue, LoadOptions } from '../config/load.js';
import { loadJobFile } from '../config/load.js';
import { loadPipelineFile, loadWorkflowFile, validateWorkflowFile } from './load-workflow.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'djc-pipe-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes files under the temp dir; returns the absolute path of the first. */
async function files(entries: Record<string, string>): Promise<string> {
  for (const [name, text] of Object.entries(entries)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return join(dir, Object.keys(entries)[0] as string);
}

const SUPPORT = { 'data/a.jsonl': '{"a":1}\n', 'clean.ts': 'export async function clean(r) { return r; }\n', 'embed.py': 'print(1)\n' };

/** A pipeline file whose line N is lines[N-1], plus a module, a script and an input. */
const pipeline = (lines: string[], extra: Record<string, string> = {}): Promise<string> =>
  files({ 'p.yaml': `${lines.join('\n')}\n`, ...SUPPORT, ...extra });

async function issuesOf(file: string, opts?: LoadOptions): Promise<ConfigIssue[]> {
  const res = await validateWorkflowFile(file, opts);
  if (res.ok) throw new Error('expected the file to be invalid');
  return res.issues;
}

const brief = (issues: ConfigIssue[]): Array<[string, number | undefined, string]> => issues.map((i) => [i.path, i.line, i.message]);

const DIAMOND = [
  'name: reviews',                                                    // 1
  'parameters: { min_len: 3, unused: 1 }',                            // 2
  'labels: { team: data }',                                           // 3
  'defaults:',                                                        // 4
  '  compute: { workers: 4 }',                                        // 5
  '  retry: { max_attempts: 2 }',                                     // 6
  'stages:',                                                          // 7
  '  report:',                                                        // 8
  '    needs: [embed, train]',                                      // 9
  '    on_upstream_failure: fail',                                  // 10
  '    input: { from: [embed, train] }',                            // 11
  '    handler: { module: ./clean.ts#clean }',                      // 12
  '    output: { path: out/report.json }',                          // 13
  '  clean:',                                                         // 14
  '    extends: ./stage-base.yaml',                                 // 15
  '    input: { path: data/*.jsonl, batch: { records: 10 } }',      // 16
  '    handler: { module: ./clean.ts#clean }',                      // 17
  '  embed:',                                                         // 18
  '    needs: [clean]',                                             // 19
  '    input: { from: clean, each: batch, format: text }',          // 20
  '    handler: { command: "python3 embed.py --min ${params.min_len} --in ${stages.clean.output}", files: [embed.py] }', // 21
  '  train:',                                                         // 22
  '    needs: [clean]',                                             // 23
  '    matrix: { lr: [0.1, 0.01], depth: [4, 8], exclude: [{ lr: 0.01, depth: 8 }], max_parallel: 2, tolerated_failure: 1 }', // 24
  '    input: { from: clean }',                                     // 25
  '    compute: { workers: "${matrix.depth}" }',                    // 26
  '    handler: { command: "echo ${matrix.lr}" }',                  // 27
];
const STAGE_BASE = { 'stage-base.yaml': 'compute: { workers: 2 }\nlabels: { tier: base }\nhandler: { files: [./embed.py] }\n' };

describe('loadWorkflowFile: a pipeline', () => {
  it('builds the spec: order, runs per point, placeholders, defaults and extends merged, params used, sweeps, sources', async () => {
    const file = await pipeline(DIAMOND, STAGE_BASE);
    const loaded = await loadWorkflowFile(file);
    if (loaded.kind !== 'pipeline') throw new Error('expected a pipeline');
    const { spec } = loaded.pipeline;
    expect(spec.order).toEqual(['clean', 'embed', 'train', 'report']);
    expect(spec.runs.map((r) => r.displayName)).toEqual(['clean', 'embed', 'train[lr=0.1,depth=4]', 'train[lr=0.1,depth=8]', 'train[lr=0.01,depth=4]', 'report']);
    const byName = new Map(spec.runs.map((r) => [r.displayName, r]));
    const clean = byName.get('clean');
    expect(clean?.config.name).toBe('reviews.clean');
    expect(clean?.config.input.path).toBe(join(dir, 'data/*.jsonl'));
    expect(clean?.config.compute.workers).toBe(2); // the stage's extends wins over defaults
    expect(clean?.config.retry.max_attempts).toBe(2); // defaults
    expect(clean?.config.labels).toEqual({ team: 'data', tier: 'base' });
    expect(clean?.config.handler.files).toEqual([join(dir, 'embed.py')]);
    const embed = byName.get('embed');
    expect(embed?.upstream).toEqual({ from: ['clean'], each: 'batch', format: 'text' });
    expect(embed?.config.input.path).toEqual(['upstream:clean']);
    expect(embed?.config.handler.command).toBe('python3 embed.py --min 3 --in ${stages.clean.output}');
    expect(embed?.paramsUsed).toEqual({ min_len: 3 });
    expect(embed?.config.parameters).toEqual({ min_len: 3 });
    const train = byName.get('train[lr=0.01,depth=4]');
    expect(train?.point).toEqual({ lr: 0.01, depth: 4 });
    expect(train?.config.compute.workers).toBe(4); // ${matrix.depth} keeps the number type
    expect(train?.config.handler.command).toBe('echo 0.01');
    expect(train?.upstream).toEqual({ from: ['clean'], each: null, format: null });
    expect(train?.paramsUsed).toEqual({});
    const report = byName.get('report');
    expect(report?.needs).toEqual(['embed', 'train']);
    expect(report?.onUpstreamFailure).toBe('fail');
    expect(report?.config.input.path).toEqual(['upstream:embed', 'upstream:train']);
    expect(report?.config.output.path).toBe(join(dir, 'out/report.json'));
    expect(byName.get('clean')?.onUpstreamFailure).toBe('skip');
    expect(spec.sweeps).toEqual([{ stage: 'train', maxParallel: 2, toleratedFailure: { count: 1 }, points: 3 }]);
    expect(spec.sources.map((s) => s.path)).toEqual([file, join(dir, 'stage-base.yaml')]);
    expect(spec.sources.every((s) => /^[0-9a-f]{64}$/.test(s.sha256))).toBe(true);
    expect(spec.parameters).toEqual({ min_len: 3, unused: 1 });
    expect(spec.labels).toEqual({ team: 'data' });
  });

  it('is a snapshot: editing an extended file after loading changes nothing in the spec, and the spec names no extends', async () => {
    const file = await pipeline(DIAMOND, STAGE_BASE);
    const first = await loadPipelineFile(file);
    const before = JSON.stringify(first.spec);
    await writeFile(join(dir, 'stage-base.yaml'), 'compute: { workers: 7 }\n');
    expect(JSON.stringify(first.spec)).toBe(before);
    expect(before).not.toContain('extends');
    const again = await loadPipelineFile(file);
    expect(again.spec.runs[0]?.config.compute.workers).toBe(7);
    expect(again.spec.sources[1]?.sha256).not.toBe(first.spec.sources[1]?.sha256);
  });

  it('applies --set to parameters and to stage keys', async () => {
    const file = await pipeline(DIAMOND, STAGE_BASE);
    const { spec } = await loadPipelineFile(file, { set: ['params.min_len=9', 'stages.clean.compute.workers=8', 'defaults.retry.max_attempts=5'] });
    const embed = spec.runs.find((r) => r.stage === 'embed');
    expect(embed?.config.handler.command).toContain('--min 9');
    expect(embed?.paramsUsed).toEqual({ min_len: 9 });
    expect(spec.runs.find((r) => r.stage === 'clean')?.config.compute.workers).toBe(8);
    expect(embed?.config.retry.max_attempts).toBe(5);
  });

  it('applies --set of a job key to every stage, over the stage\'s own value (so --keep-going works)', async () => {
    const file = await pipeline(DIAMOND, STAGE_BASE);
    const { spec } = await loadPipelineFile(file, { set: ['compute.workers=8', 'fail_fast=false'] });
    expect(new Set(spec.runs.map((r) => r.config.compute.workers))).toEqual(new Set([8]));
    expect(spec.runs.every((r) => !r.config.fail_fast)).toBe(true);
    const fromDefaults = await issuesOf(file, { set: ['defaults.retry.max_attempts=0'] });
    expect(fromDefaults.map((i) => i.message)).toContain('expected an integer from 1 to 100, found 0 (from --set defaults.retry.max_attempts=0)');
    expect(fromDefaults.every((i) => i.line === undefined)).toBe(true);
    const issues = await issuesOf(file, { set: ['compute.workers=0'] });
    expect(issues[0]?.message).toMatch(/^expected an integer from 1 to 10000.*\(from --set stages\.report\.compute\.workers=0\)$/);
  });

  it('substitutes ${env.X} and reports an unset one at its line', async () => {
    const lines = ['name: p', 'stages:', '  a:', '    input: { path: data/a.jsonl }', '    handler: { command: "echo ${env.GREETING}" }'];
    const file = await pipeline(lines);
    const { spec } = await loadPipelineFile(file, { env: { GREETING: 'hi' } });
    expect(spec.runs[0]?.config.handler.command).toBe('echo hi');
    expect(brief(await issuesOf(file, { env: {} }))).toEqual([['stages.a.handler.command', 5, 'environment variable GREETING is not set (used by ${env.GREETING})']]);
  });

  it('extends a whole pipeline file: paths relative to the extended file, lists replaced, null removes a key', async () => {
    const file = await files({
      'p.yaml': 'extends: ./base/pipe.yaml\nname: child\nstages:\n  a:\n    compute: { workers: 3 }\n    handler: { env: null, files: [embed.py] }\n',
      'base/pipe.yaml': 'name: base\ndefaults: { retry: { retry_on: [timeout, signal] } }\nstages:\n  a:\n    input: { path: in.jsonl }\n    handler: { command: "true", env: { A: 1 }, files: [x.txt, y.txt] }\n',
      'base/in.jsonl': '{}\n', 'base/x.txt': '', 'base/y.txt': '', 'embed.py': '',
    });
    const { spec } = await loadPipelineFile(file);
    const a = spec.runs[0]?.config;
    expect(spec.name).toBe('child');
    expect(a?.input.path).toBe(join(dir, 'base/in.jsonl'));
    expect(a?.compute.workers).toBe(3);
    expect(a?.handler.files).toEqual([join(dir, 'embed.py')]);
    expect(a?.handler.env).toEqual({});
    expect(a?.retry.retry_on).toEqual(['timeout', 'signal']);
    expect(spec.sources.map((s) => s.path)).toEqual([file, join(dir, 'base/pipe.yaml')]);
  });

  it('refuses an extends cycle, naming the chain', async () => {
    const file = await files({ 'p.yaml': 'extends: ./b.yaml\nname: p\n', 'b.yaml': 'extends: ./c.yaml\n', 'c.yaml': 'extends: ./p.yaml\n' });
    const issues = await issuesOf(file);
    expect(issues.map((i) => [i.file, i.path, i.message])).toContainEqual([join(dir, 'c.yaml'), 'extends', 'extends makes a cycle: p.yaml → b.yaml → c.yaml → p.yaml']);
  });

  it('reports a missing extended file at the extends line', async () => {
    const file = await pipeline(['name: p', 'stages:', '  a:', '    extends: ./nope.yaml', '    input: { path: data/a.jsonl }', '    handler: { command: "true" }']);
    const [issue] = await issuesOf(file);
    expect([issue?.path, issue?.line]).toEqual(['stages.a.extends', 4]);
    expect(issue?.message).toMatch(/^cannot extend \.\/nope\.yaml: cannot read .*nope\.yaml: .*ENOENT/);
  });

  it('throws CONFIG_INVALID listing every issue', async () => {
    const file = await pipeline(['name: p', 'stages:', '  a:', '    needs: [zz]', '    input: { path: data/a.jsonl }', '    handler: { command: "true" }']);
    const err = await loadWorkflowFile(file).catch((e: unknown) => e);
    expect(isDjcError(err) && err.code).toBe('CONFIG_INVALID');
    expect((err as Error).message).toContain('p.yaml:4:13: stages.a.needs[0]: unknown stage "zz"; stages: a');
  });
});

describe('loadWorkflowFile: a job file', () => {
  it('is a job exactly as before, and extends works for it', async () => {
    const file = await files({
      'job.yaml': 'extends: ./lib/base.yaml\nname: wc\nhandler: { module: ./clean.ts#clean }\ninput: { checksum: true }\n',
      'lib/base.yaml': 'input: { path: ../data/a.jsonl, batch: { records: 5 } }\ncompute: { workers: 2 }\n',
      ...SUPPORT,
    });
    const loaded = await loadWorkflowFile(file);
    if (loaded.kind !== 'job') throw new Error('expected a job');
    expect(loaded.job.config.input.path).toBe(join(dir, 'data/a.jsonl'));
    expect(loaded.job.config.input.batch).toEqual({ records: 5 });
    expect(loaded.job.config.input.checksum).toBe(true);
    expect(loaded.job.config.compute.workers).toBe(2);
    expect(loaded.job.sources?.map((s) => s.path)).toEqual([file, join(dir, 'lib/base.yaml')]);
    expect((await loadJobFile(file)).config).toEqual(loaded.job.config);
  });

  it('locates an issue in the extended file that set the value', async () => {
    const file = await files({ 'job.yaml': 'extends: ./base.yaml\nname: wc\n', 'base.yaml': 'input: { path: data/a.jsonl }\nhandler: { module: ./clean.ts#clean }\ncompute: { workers: 0 }\n', ...SUPPORT });
    const issues = await issuesOf(file);
    expect(issues.map((i) => [i.file, i.path, i.line])).toEqual([[join(dir, 'base.yaml'), 'compute.workers', 3]]);
  });

  it('refuses the upstream: scheme in a plain job file', async () => {
    const file = await files({ 'job.yaml': 'name: wc\ninput: { path: "upstream:clean" }\nhandler: { module: ./clean.ts#clean }\n', ...SUPPORT });
    const issues = await issuesOf(file);
    expect(brief(issues)).toContainEqual(['input.path', 2, '"upstream:" paths are filled in by pipelines; in a pipeline stage, read an upstream stage with input.from']);
  });

  it('checks that handler.files exist', async () => {
    const file = await files({ 'job.yaml': 'name: wc\ninput: { path: data/a.jsonl }\nhandler: { command: "true", files: [nope.py] }\n', ...SUPPORT });
    expect(brief(await issuesOf(file))).toEqual([['handler.files[0]', 3, `handler file nope.py not found (looked for ${join(dir, 'nope.py')})`]]);
  });
});

describe('validateWorkflowFile: every issue of a pipeline at once, with its YAML path and line', () => {
  it('reports graph, input, matrix and variable problems together', async () => {
    const file = await pipeline([
      'name: bad',                                                      // 1
      'defaults:',                                                      // 2
      '  compute: { workerz: 4 }',                                      // 3
      'stages:',                                                        // 4
      '  a:',                                                           // 5
      '    needs: [c, ghost]',                                          // 6
      '    input: { path: data/a.jsonl }',                              // 7
      '    handler: { module: ./clean.ts#clean }',                      // 8
      '    output: { reduce: ./clean.ts#clean }',                       // 9
      '  b:',                                                           // 10
      '    needs: [a]',                                                 // 11
      '    input: { from: [a, c], each: batch, batch: { records: 5 } }',// 12
      '    handler: { command: "echo ${matrix.lr} ${stages.c.output}" }', // 13
      '  c:',                                                           // 14
      '    needs: [b]',                                                 // 15
      '    input: { from: n }',                                         // 16
      '    handler: { command: "echo ${matrix.lrr} ${params.nope}" }',  // 17
      '    matrix:',                                                    // 18
      '      lr: [1, 2]',                                               // 19
      '      exclude: [{ lrr: 1 }]',                                    // 20
      '  d:',                                                           // 21
      '    nedes: [a]',                                                 // 22
      '    input: { format: csv }',                                     // 23
      '    handler: { command: "true" }',                               // 24
      '    matrix: { x: [1, 2, 3], y: [1, 2, 3], max_points: 5 }',      // 25
      '  e:',                                                           // 26
      '    name: e',                                                    // 27
      '    needs: [d]',                                                 // 28
      '    input: { from: d }',                                         // 29
      '    handler: { command: "cat ${stages.d.output}" }',             // 30
      '    output: { aggregate: none }',                                // 31
      '  f:',                                                           // 32
      '    needs: [e]',                                                 // 33
      '    input: { from: e }',                                         // 34
      '    handler: { command: "true" }',                               // 35
    ]);
    expect(brief(await issuesOf(file))).toEqual([
      ['defaults.compute.workerz', 3, 'unknown key "workerz" (did you mean "workers"?)'],
      ['stages.a.needs', 6, 'the stages make a cycle: a → c → b → a'],
      ['stages.a.needs[1]', 6, 'unknown stage "ghost"; stages: a, b, c, d, e, f'],
      ['stages.b.input.from[1]', 12, 'c is not in needs: add it to this stage\'s needs (a stage reads only stages it waits for)'],
      ['stages.b.input.each', 12, 'each: batch reads a\'s batch outputs, but a folds them into one result with output.reduce: drop each (read the result) or the reducer'],
      ['stages.b.input.each', 12, 'each: batch reads the batches of one run, but c has a matrix (one run per point): read their results without each'],
      ['stages.b.input.each', 12, 'each: batch reads one upstream stage, but from names 2 (a, c): drop each, or read one stage'],
      ['stages.b.input.batch', 12, 'with each: batch, the batches are the upstream\'s (one per upstream task): remove input.batch'],
      ['stages.b.handler.command', 13, '${stages.c.output}: c is not in needs: add it to this stage\'s needs, so its result exists when this stage runs'],
      ['stages.b.handler.command', 13, '${matrix.lr} is used in a stage without a matrix: add matrix: to this stage, or use ${params.lr}'],
      ['stages.c.input.from', 16, 'unknown stage "n"; stages: a, b, c, d, e, f'],
      ['stages.c.handler.command', 17, 'unknown matrix axis lrr in ${matrix.lrr}; this stage\'s axes: lr'],
      ['stages.c.handler.command', 17, 'unknown parameter nope in ${params.nope}; defined parameters: none'],
      ['stages.c.matrix.exclude[0].lrr', 20, '"lrr" is not an axis of the matrix; axes: lr'],
      ['stages.d.nedes', 22, 'unknown key "nedes" (did you mean "needs"?)'],
      ['stages.d.input.path', 23, 'a stage reads files (input.path) or upstream stages (input.from): set one'],
      ['stages.d.matrix', 25, 'the matrix makes 9 points, more than max_points (5): shrink the axes, exclude points, or raise matrix.max_points'],
      ['stages.e.name', 27, 'unknown key "name" in a stage: a stage is named by its key under stages: (its runs are <pipeline>.<stage>)'],
      ['stages.e.handler.command', 30, '${stages.d.output}: d has a matrix, so it has one result per point: read them with input.from instead'],
      ['stages.f.input.from', 34, 'e keeps per-batch outputs only (output.aggregate: none), so it has no result to read: add each: batch, or use aggregate: concat in e'],
    ]);
  });
});

describe('${stages.X.output} in input.path', () => {
  it('is refused with the input.from to write instead (not a file-not-found)', async () => {
    const file = await pipeline(['name: p', 'stages:', '  a:', '    input: { path: data/a.jsonl }', '    handler: { command: "true" }',
      '  b:', '    needs: [a]', '    input: { path: "${stages.a.output}" }', '    handler: { command: "true" }']);
    expect(brief(await issuesOf(file))).toEqual([
      ['stages.b.input.path', 8, '${stages.a.output}: input.path names files; to read a\'s result write input: { from: a } (with it in needs)'],
    ]);
  });
});

describe('a matrix that does not parse', () => {
  it('names a misspelled matrix key, and still checks ${matrix.x} against the axes that are well formed', async () => {
    const file = await pipeline(['name: p', 'stages:', '  a:', '    input: { path: data/a.jsonl }',
      '    handler: { command: "echo ${matrix.lr} ${matrix.depth}" }', '    matrix: { lr: [1, 2], max_point: 5, seed: [] }']);
    expect(brief(await issuesOf(file))).toEqual([
      ['stages.a.handler.command', 5, 'unknown matrix axis depth in ${matrix.depth}; this stage\'s axes: lr'],
      ['stages.a.matrix.max_point', 6, 'unknown key "max_point" (did you mean "max_points"?); any other key is an axis, a list of values'],
      ['stages.a.matrix.seed', 6, 'expected a non-empty list of strings, numbers or booleans, found an empty list'],
    ]);
  });
});

describe('matrix rows: ./grid.csv', () => {
  const stage = (rows: string): string[] => ['name: sweep', 'stages:', '  train:', '    input: { path: data/a.jsonl }',
    '    handler: { command: "echo ${matrix.lr} ${matrix.model}" }', `    matrix: { rows: ${rows} }`];

  it('makes one run per row, values as text, and snapshots the CSV', async () => {
    const file = await pipeline(stage('./grid.csv'), { 'grid.csv': 'lr,model\n0.1,"res,net"\n0.5,vit\n' });
    const { spec } = await loadPipelineFile(file);
    expect(spec.runs.map((r) => [r.displayName, r.config.handler.command])).toEqual([
      ['train[lr=0.1,model="res,net"]', 'echo 0.1 res,net'], ['train[lr=0.5,model=vit]', 'echo 0.5 vit'],
    ]);
    expect(spec.sources.map((s) => s.path)).toEqual([file, join(dir, 'grid.csv')]);
  });

  it('names the CSV file and line of each problem', async () => {
    const file = await pipeline(stage('./grid.csv'), { 'grid.csv': 'lr,model\n0.1,a\n0.2\n0.1,a\n' });
    const issues = await issuesOf(file);
    expect(issues.map((i) => [i.file, i.line, i.message])).toEqual([
      [join(dir, 'grid.csv'), 3, 'has 1 field, the header 2'],
      [join(dir, 'grid.csv'), 4, 'repeats the point of line 2: every row must be a different point'],
    ]);
  });

  it('reports a missing rows file', async () => {
    const file = await pipeline(stage('./nope.csv'));
    expect((await issuesOf(file)).map((i) => [i.file, i.message])).toEqual([[join(dir, 'nope.csv'), 'the matrix rows file not found']]);
  });
});

describe('a 1,000-point sweep', () => {
  it('validates and expands to 1,000 runs; 1,001 is refused with the count', async () => {
    const lines = (n: number): string[] => ['name: sweep', 'stages:', '  train:', '    input: { path: data/a.jsonl }', '    handler: { command: "echo ${matrix.a} ${matrix.b}" }',
      `    matrix: { a: [${Array.from({ length: 10 }, (_, i) => i).join(', ')}], b: [${Array.from({ length: 100 }, (_, i) => i).join(', ')}]${n > 1000 ? ', include: [{ a: x, b: y }]' : ''} }`];
    const { spec } = await loadPipelineFile(await pipeline(lines(1000)));
    expect(spec.runs).toHaveLength(1000);
    expect(spec.sweeps[0]?.points).toBe(1000);
    expect(brief(await issuesOf(await pipeline(lines(1001))))).toEqual([
      ['stages.train.matrix', 6, 'the matrix makes 1,001 points, more than max_points (1,000): shrink the axes, exclude points, or raise matrix.max_points'],
    ]);
  });
});
