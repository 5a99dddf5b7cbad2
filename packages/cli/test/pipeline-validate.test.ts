/**
 * Pipeline files through the CLI (issue 10 §1): `djc validate` takes a
 * pipeline (a file with stages:), prints its stages or every problem with
 * its YAML path and line (exit 2); `run` runs it and `submit` writes it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxPerTest } from './helpers.js';

const box = sandboxPerTest('djc-pipe-');
const run = (args: string[]) => box.run(args);

function write(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(box.dir, name, '..'), { recursive: true });
    writeFileSync(join(box.dir, name), text);
  }
}

const SUPPORT = {
  'data/a.jsonl': '{"text":"good"}\n{"text":"bad"}\n',
  'clean.mjs': 'export const clean = (records) => records;\nexport const count = (records) => records.length;\n',
  'embed.sh': 'cat\n',
  'stage-base.yaml': 'compute: { workers: 2 }\nretry: { max_attempts: 1 }\n',
};

const GOOD = [
  'name: reviews',
  'parameters: { min_len: 3 }',
  'defaults: { compute: { workers: 3 } }',
  'stages:',
  '  clean:',
  '    extends: ./stage-base.yaml',
  '    input: { path: data/a.jsonl, batch: { records: 1 } }',
  '    handler: { module: ./clean.mjs#clean }',
  '  embed:',
  '    needs: [clean]',
  '    input: { from: clean, each: batch }',
  '    handler: { command: "sh embed.sh --min ${params.min_len}", files: [embed.sh] }',
  '  train:',
  '    needs: [clean]',
  '    input: { from: clean }',
  '    matrix: { lr: [0.1, 0.01], depth: [4, 8], max_parallel: 2 }',
  '    handler: { command: "echo ${matrix.lr} ${matrix.depth}" }',
  '  report:',
  '    needs: [embed, train]',
  '    input: { from: [embed, train] }',
  '    handler: { module: ./clean.mjs#count }',
  '',
].join('\n');

describe('djc validate on a pipeline', () => {
  it('a valid pipeline: a row per stage (runs, needs, input, handler), exit 0; --json has the stages, points and sources', async () => {
    write({ 'p.yaml': GOOD, ...SUPPORT });
    const v = await run(['validate', 'p.yaml']);
    expect(v.code).toBe(0);
    expect(v.stdout.split('\n')).toEqual([
      'p.yaml: valid (pipeline "reviews", 4 stages, 7 runs)',
      'STAGE   RUNS                   NEEDS         INPUT                    HANDLER',
      'clean   1                      -             data/a.jsonl             module',
      'embed   1                      clean         from clean (each batch)  command',
      'train   4 (matrix, 2 at once)  clean         from clean               command',
      'report  1                      embed, train  from embed, train        module',
      '',
    ]);
    const j = await run(['validate', 'p.yaml', '--json']);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout) as { valid: boolean; kind: string; pipeline: { order: string[]; stages: Array<{ name: string; runs: number; points: string[] | null; input: unknown; needs: string[] }>; sources: Array<{ path: string; sha256: string }> } };
    expect(doc.valid).toBe(true);
    expect(doc.kind).toBe('pipeline');
    expect(doc.pipeline.order).toEqual(['clean', 'embed', 'train', 'report']);
    const train = doc.pipeline.stages.find((s) => s.name === 'train');
    expect(train?.points).toEqual(['train[lr=0.1,depth=4]', 'train[lr=0.1,depth=8]', 'train[lr=0.01,depth=4]', 'train[lr=0.01,depth=8]']);
    expect(doc.pipeline.stages.find((s) => s.name === 'report')?.input).toEqual({ from: ['embed', 'train'], each: null });
    expect(doc.pipeline.sources.map((s) => s.path)).toEqual([join(box.dir, 'p.yaml'), join(box.dir, 'stage-base.yaml')]);
  });

  it('a bad pipeline: every problem with its YAML path and line, the cycle named, exit 2, nothing on stdout', async () => {
    write({
      ...SUPPORT,
      'bad.yaml': [
        'name: bad',
        'stages:',
        '  a:',
        '    needs: [c]',
        '    input: { path: data/a.jsonl }',
        '    handler: { module: ./clean.mjs#clean }',
        '  b:',
        '    needs: [a, ghost]',
        '    input: { from: a }',
        '    handler: { command: "echo ${matrix.lr}" }',
        '  c:',
        '    needs: [b]',
        '    input: { from: [b, a] }',
        '    handler: { module: ./clean.mjs#cleen }',
        '',
      ].join('\n'),
    });
    const v = await run(['validate', 'bad.yaml']);
    expect(v.code).toBe(2);
    expect(v.stdout).toBe('');
    expect(v.stderr.split('\n')).toEqual([
      'bad.yaml:4:5: stages.a.needs: the stages make a cycle: a → c → b → a',
      'bad.yaml:8:16: stages.b.needs[1]: unknown stage "ghost"; stages: a, b, c',
      'bad.yaml:10:25: stages.b.handler.command: ${matrix.lr} is used in a stage without a matrix: add matrix: to this stage, or use ${params.lr}',
      'bad.yaml:13:24: stages.c.input.from[1]: a is not in needs: add it to this stage\'s needs (a stage reads only stages it waits for)',
      '4 problems in bad.yaml',
      '',
    ]);
    const j = await run(['validate', 'bad.yaml', '--json']);
    expect(j.code).toBe(2);
    const doc = JSON.parse(j.stdout) as { valid: boolean; kind: string; issues: Array<{ path: string; line: number }> };
    expect([doc.valid, doc.kind]).toEqual([false, 'pipeline']);
    expect(doc.issues.map((i) => [i.path, i.line])).toEqual([['stages.a.needs', 4], ['stages.b.needs[1]', 8], ['stages.b.handler.command', 10], ['stages.c.input.from[1]', 13]]);
  });

  it('checks each stage\'s handler once the file is otherwise valid', async () => {
    write({ ...SUPPORT, 'p.yaml': GOOD.replace('./clean.mjs#count', './clean.mjs#cuont') });
    const v = await run(['validate', 'p.yaml']);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain('p.yaml:21:24: stages.report.handler.module: ./clean.mjs has no exported function "cuont" (did you mean "count"?)');
  });

  it('a 1,000-point sweep validates; one more point is refused with the count, and --set can raise max_points', async () => {
    const axis = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
    const sweep = (b: number) => ['name: sweep', 'stages:', '  train:', '    input: { path: data/a.jsonl }',
      '    handler: { command: "echo ${matrix.a} ${matrix.b}" }', `    matrix: { a: ${axis(10)}, b: ${axis(b)} }`, ''].join('\n');
    write({ ...SUPPORT, 'ok.yaml': sweep(100), 'big.yaml': sweep(101) });
    const ok = await run(['validate', 'ok.yaml', '--json']);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { pipeline: { stages: Array<{ runs: number }> } }).pipeline.stages[0]?.runs).toBe(1000);
    const big = await run(['validate', 'big.yaml']);
    expect(big.code).toBe(2);
    expect(big.stderr).toContain('big.yaml:6:5: stages.train.matrix: the matrix makes 1,010 points, more than max_points (1,000): shrink the axes, exclude points, or raise matrix.max_points');
    const raised = await run(['validate', 'big.yaml', '--set', 'stages.train.matrix.max_points=2000']);
    expect(raised.code).toBe(0);
    expect(raised.stdout).toContain('valid (pipeline "sweep", 1 stage, 1010 runs)');
  });

  it('a job file still validates as a job (--json says kind job)', async () => {
    write({ ...SUPPORT, 'job.yaml': 'name: j\ninput: { path: data/a.jsonl }\nhandler: { module: ./clean.mjs#clean }\n' });
    const j = await run(['validate', 'job.yaml', '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual({ valid: true, kind: 'job', issues: [], warnings: [] });
  });
});

describe('djc run and submit on a pipeline', () => {
  it('run runs the validated pipeline (exit 0, every stage run SUCCEEDED); submit writes it for the daemon', async () => {
    write({ 'p.yaml': GOOD, ...SUPPORT });
    const r = await run(['run', 'p.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse((await run(['status', 'reviews', '--json'])).stdout) as { stages: { name: string; status: string; runs: unknown[] }[] };
    expect(doc.stages.map((s) => `${s.name}:${s.status}:${s.runs.length}`)).toEqual(['clean:SUCCEEDED:1', 'embed:SUCCEEDED:1', 'train:SUCCEEDED:4', 'report:SUCCEEDED:1']);
    // embed is N to N over clean (one record per batch): `cat` gives each record back, in order.
    expect((await run(['results', 'reviews.embed'])).stdout).toBe('{"text":"good"}\n{"text":"bad"}\n');
    const sub = await run(['submit', 'p.yaml']);
    expect(sub.code).toBe(0);
    expect(sub.stdout.trim()).toMatch(/^reviews-\d{14}-[0-9a-f]{6}$/);
  });
});
