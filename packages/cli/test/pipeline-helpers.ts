/**
 * A diamond pipeline over generated review data, built by hand as a
 * PipelineSpec (the YAML loader makes the same from a file), with its
 * handlers written into a sandbox, and the answer computed independently.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type JobConfig, type JobConfigInput, type PipelineSpec, type StageRunSpec, type UpstreamPolicy } from '@djc/core';
import { JobConfigSchema } from '@djc/core/schemas';

export interface Review { id: number; text: string }

/** `n` reviews; every 7th one is too short for clean to keep. */
export function writeReviews(dir: string, n: number): Review[] {
  const words = ['good', 'bad', 'fine', 'slow', 'fast', 'great'];
  const reviews = Array.from({ length: n }, (_, id) => ({
    id, text: id % 7 === 0 ? 'ok' : Array.from({ length: 2 + (id % 5) }, (_, k) => words[(id + k) % words.length]).join(' '),
  }));
  writeFileSync(join(dir, 'reviews.jsonl'), reviews.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return reviews;
}

/** What the diamond's report must say, computed without djc. */
export function expectedReport(reviews: readonly Review[], ks: readonly number[]): { kept: number; scores: { k: number; score: number; n: number }[] } {
  const kept = reviews.filter((r) => r.text.length >= 3);
  const words = kept.reduce((s, r) => s + r.text.split(' ').length, 0);
  return { kept: kept.length, scores: ks.map((k) => ({ k, score: words * k, n: kept.length })) };
}

/** failStats: stats always throws; failStatsWhile: it throws while this file exists. */
export function writeHandlers(dir: string, o: { failStats?: boolean; statsMs?: number; failStatsWhile?: string } = {}): void {
  writeFileSync(join(dir, 'clean.mjs'), `export function clean(records) {
  return records.filter((r) => r.text.length >= 3).map((r) => ({ id: r.id, words: r.text.split(' ').length }));
}\n`);
  writeFileSync(join(dir, 'stats.mjs'), `import { existsSync } from 'node:fs';
export async function count(records) {
  ${o.failStats ? "throw new Error('stats cannot count today');" : ''}
  ${o.failStatsWhile ? `if (existsSync(${JSON.stringify(o.failStatsWhile)})) throw new Error('stats cannot count today');` : ''}
  ${o.statsMs ? `await new Promise((r) => setTimeout(r, ${o.statsMs}));` : ''}
  return { n: records.length, words: records.reduce((s, r) => s + r.words, 0) };
}\n`);
  // A command stage: sums the partial counts on stdin, scales them by k.
  writeFileSync(join(dir, 'train.mjs'), `let text = '';
process.stdin.on('data', (c) => { text += c; });
process.stdin.on('end', () => {
  const parts = text.split('\\n').filter(Boolean).map((l) => JSON.parse(l));
  const k = Number(process.argv[2]);
  const n = parts.reduce((s, p) => s + p.n, 0);
  const words = parts.reduce((s, p) => s + p.words, 0);
  process.stdout.write(JSON.stringify({ k, score: words * k, n }) + '\\n');
});\n`);
  // The report's input is several files (one batch each at least): each batch passes its records on, the reducer builds the report.
  writeFileSync(join(dir, 'report.mjs'), `export function pass(records) { return records; }
export async function build(outputs) {
  const records = [];
  for await (const out of outputs) records.push(...out);
  const scores = records.filter((r) => 'k' in r).sort((a, b) => a.k - b.k);
  return { kept: records.filter((r) => 'id' in r).length, scores };
}\n`);
}

/** A validated config; `upstream:` placeholders are set after validation, as the loader does (they are not a job input). */
function config(name: string, c: Omit<JobConfigInput, 'name'>): JobConfig {
  const path = c.input.path;
  const placeholders = (Array.isArray(path) ? path : [path]).some((p) => p.startsWith('upstream:'));
  const parsed = JobConfigSchema.parse({ name, ...c, input: { ...c.input, path: placeholders ? '/placeholder' : path } });
  return placeholders ? { ...parsed, input: { ...parsed.input, path } } : parsed;
}

interface StageDef { name: string; needs?: string[]; policy?: UpstreamPolicy; config: JobConfig; points?: { k: number }[]; pointConfig?: (k: number) => JobConfig }

/** clean → (stats → train[k] …) and clean → report ← train: a diamond with a small matrix. */
export function diamondSpec(dir: string, o: { ks?: number[]; reportPolicy?: UpstreamPolicy; name?: string } = {}): PipelineSpec {
  const ks = o.ks ?? [1, 3];
  const up = (from: string[]) => ({ path: from.length === 1 ? `upstream:${from[0]}` : from.map((f) => `upstream:${f}`) });
  const stages: StageDef[] = [
    { name: 'clean', config: config('clean', { input: { path: join(dir, 'reviews.jsonl'), batch: { records: 40 } }, handler: { module: `${join(dir, 'clean.mjs')}#clean` }, compute: { workers: 2 } }) },
    { name: 'stats', needs: ['clean'], config: config('stats', { input: { ...up(['clean']), batch: { records: 50 } }, handler: { module: `${join(dir, 'stats.mjs')}#count` }, compute: { workers: 1 }, retry: { max_attempts: 1 } }) },
    {
      name: 'train', needs: ['stats'], points: ks.map((k) => ({ k })), config: config('train', { input: up(['stats']), handler: { command: 'true' } }),
      pointConfig: (k) => config('train', { input: { ...up(['stats']), batch: { records: 100000 } }, handler: { command: `node ${join(dir, 'train.mjs')} ${k}` }, compute: { workers: 1 } }),
    },
    {
      name: 'report', needs: ['clean', 'train'], policy: o.reportPolicy ?? 'skip',
      config: config('report', { input: { ...up(['clean', 'train']), batch: { records: 100000 } }, handler: { module: `${join(dir, 'report.mjs')}#pass` }, compute: { workers: 1 }, output: { path: join(dir, 'out/report.json'), reduce: `${join(dir, 'report.mjs')}#build` } }),
    },
  ];
  const runs = stages.flatMap((s) => (s.points ?? [null]).map((point): StageRunSpec => ({
    stage: s.name, point, needs: s.needs ?? [], onUpstreamFailure: s.policy ?? 'skip', paramsUsed: {},
    displayName: point ? `${s.name}[k=${point.k}]` : s.name,
    config: point && s.pointConfig ? s.pointConfig(point.k) : s.config,
    upstream: s.needs ? { from: s.needs, each: null, format: null } : null,
  })));
  return {
    v: 1, name: o.name ?? 'reviews', labels: {}, parameters: {}, order: stages.map((s) => s.name), runs, sources: [],
    sweeps: [{ stage: 'train', maxParallel: null, toleratedFailure: { count: 0 }, points: ks.length }],
  };
}

/** The diamond as a pipeline file (what diamondSpec builds by hand). */
export function writeDiamondYaml(dir: string, o: { ks?: number[]; reportPolicy?: UpstreamPolicy; lease?: string; slurm?: boolean } = {}): string {
  const slurm = o.slurm ? ', dispatcher: slurm, timeout: 2m, slurm: { partition: debug, time: "00:10:00", cpus_per_task: 1, mem: 256M }' : '';
  const file = join(dir, 'reviews.yaml');
  writeFileSync(file, `name: reviews
defaults:
  compute: { workers: 1${o.lease ? `, lease: ${o.lease}` : ''}${slurm} }
  retry: { max_attempts: 1 }
stages:
  clean:
    input: { path: reviews.jsonl, batch: { records: 40 } }
    handler: { module: ./clean.mjs#clean }
    compute: { workers: 2${o.lease ? `, lease: ${o.lease}` : ''}${slurm} }
  stats:
    needs: [clean]
    input: { from: clean, batch: { records: 50 } }
    handler: { module: ./stats.mjs#count }
  train:
    needs: [stats]
    matrix: { k: [${(o.ks ?? [1, 3]).join(', ')}] }
    input: { from: stats, batch: { records: 100000 } }
    handler: { command: "node train.mjs \${matrix.k}" }
  report:
    needs: [clean, train]
    on_upstream_failure: ${o.reportPolicy ?? 'skip'}
    input: { from: [clean, train], batch: { records: 100000 } }
    handler: { module: ./report.mjs#pass }
    output: { path: out/report.json, reduce: ./report.mjs#build }
`);
  return file;
}

export interface StreamPipelineOptions {
  /** Records in numbers.jsonl ({"n": 0…}); batches of 10. Default 60. */
  records?: number;
  /** How long each upstream task takes (ms). Default 300. */
  upMs?: number;
  /** How long each downstream task takes (ms). Default 0. */
  downMs?: number;
  /** The upstream task of this batch throws, and no task is retried. */
  failBatch?: number;
  /** The downstream's on_upstream_failure. */
  policy?: UpstreamPolicy;
}

/**
 * stream.yaml: `up` doubles n (batches of 10, one worker) and `down` streams
 * from it N to N (`each: batch`), adding 1. Each output record carries the
 * batch index that made it (`batch` upstream; `up` and `down` downstream),
 * so a test can check that downstream batch i read upstream batch i.
 */
export function writeStreamPipeline(dir: string, o: StreamPipelineOptions = {}): void {
  const records = o.records ?? 60;
  writeFileSync(join(dir, 'numbers.jsonl'), Array.from({ length: records }, (_, n) => JSON.stringify({ n })).join('\n') + '\n');
  writeFileSync(join(dir, 'up.mjs'), `export async function double(records, ctx) {
  await new Promise((r) => setTimeout(r, ${o.upMs ?? 300}));
  ${o.failBatch === undefined ? '' : `if (ctx.batch.index === ${o.failBatch}) throw new Error('batch ${o.failBatch} is bad');`}
  return records.map((r) => ({ n: r.n * 2, batch: ctx.batch.index }));
}\n`);
  writeFileSync(join(dir, 'down.mjs'), `export async function inc(records, ctx) {
  await new Promise((r) => setTimeout(r, ${o.downMs ?? 0}));
  return records.map((r) => ({ n: r.n + 1, up: r.batch, down: ctx.batch.index }));
}\n`);
  const noRetry = o.failBatch === undefined ? '' : '\n    retry: { max_attempts: 1 }';
  const policy = o.policy === undefined ? '' : `\n    on_upstream_failure: ${o.policy}`;
  writeFileSync(join(dir, 'stream.yaml'), `name: stream
stages:
  up:
    input: { path: numbers.jsonl, batch: { records: 10 } }
    handler: { module: ./up.mjs#double }
    compute: { workers: 1 }${noRetry}
  down:
    needs: [up]${policy}
    input: { from: up, each: batch }
    handler: { module: ./down.mjs#inc }
    compute: { workers: 1 }
`);
}
