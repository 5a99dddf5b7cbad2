/**
 * A pipeline through the CLI: `djc status PIPELINE` (the stage graph, the
 * points of a sweep, what each waiting stage waits for; --json), `djc list`
 * folding stage runs under their pipeline, a stage run named
 * `<pipeline>.<stage>`, and `djc cancel` cascading to every unfinished run.
 * The pipeline is written through the public API (submitPipeline), as
 * `djc submit pipeline.yaml` writes it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalBackend } from '@djc/core/backends/local';
import { submitPipeline } from '@djc/coordinator';
import { sandboxPerTest } from './helpers.js';
import { diamondSpec, writeHandlers, writeReviews } from './pipeline-helpers.js';

const box = sandboxPerTest('djc-pipeline-cli-');

async function submitted(): Promise<string> {
  writeReviews(box.dir, 20);
  writeHandlers(box.dir);
  const backend = createLocalBackend({ home: box.home });
  try {
    return (await submitPipeline(backend, diamondSpec(box.dir, { ks: [1, 3] }), join(box.dir, 'reviews.yaml'), 'daemon')).jobId;
  } finally {
    await backend.close();
  }
}

describe('a pipeline in the CLI', () => {
  it('djc status shows the stage graph, the sweep points and what each stage waits for', async () => {
    const id = await submitted();
    const r = await box.run(['status', id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pipeline ${id} (reviews)`);
    const row = (stage: string) => r.stdout.split('\n').find((l) => l.startsWith(`${stage} `))?.split(/\s{2,}/);
    expect(row('clean')?.slice(0, 4)).toEqual(['clean', 'SUBMITTED', '0/0 tasks', '-']);
    expect(row('stats')).toEqual(['stats', 'WAITING', '0/0 tasks', 'clean', 'waiting for clean']);
    expect(row('train')).toEqual(['train', 'WAITING', '0/2 points', 'stats', 'waiting for stats']);
    expect(row('report')).toEqual(['report', 'WAITING', '0/0 tasks', 'clean, train', 'waiting for clean, train']);
    expect(r.stdout).toMatch(/points of train \(2\):\nPOINT\s+STATUS\s+TASKS\s+JOB\nk=1\s+WAITING\s+0\/0\s+reviews\.train\.0-/);

    const json = JSON.parse((await box.run(['status', id, '--json'])).stdout) as {
      jobId: string; kind: string; stages: { name: string; status: string; needs: string[]; runs: { name: string; kind: string; parentId: string; reason: string | null; stage: unknown }[] }[];
    };
    expect(json).toMatchObject({ jobId: id, kind: 'pipeline' });
    expect(json.stages.map((s) => [s.name, s.status, s.needs, s.runs.length])).toEqual([
      ['clean', 'SUBMITTED', [], 1], ['stats', 'WAITING', ['clean'], 1], ['train', 'WAITING', ['stats'], 2], ['report', 'WAITING', ['clean', 'train'], 1],
    ]);
    expect(json.stages[2]!.runs[1]).toMatchObject({ name: 'reviews.train[k=3]', kind: 'stage', parentId: id, reason: 'waiting for stats', stage: { name: 'train', point: { k: 3 } } });
  });

  it('djc list folds the stage runs under their pipeline; a stage run is named <pipeline>.<stage>', async () => {
    const id = await submitted();
    const list = await box.run(['list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n').slice(1);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(new RegExp(`^${id}\\s+SUBMITTED`));
    expect(lines.slice(1).map((l) => l.trim().split(/\s+/)[0]!.replace(/-\d{14}-[0-9a-f]{6}$/, ''))).toEqual([
      'reviews.clean', 'reviews.stats', 'reviews.train.0', 'reviews.train.1', 'reviews.report',
    ]);
    for (const l of lines.slice(1)) expect(l.startsWith('  ')).toBe(true);
    const json = JSON.parse((await box.run(['list', '--json'])).stdout) as { jobs: { jobId: string; stages?: unknown[] }[] };
    expect(json.jobs.map((j) => [j.jobId, j.stages?.length])).toEqual([[id, 5]]);

    const stage = await box.run(['status', 'reviews.stats']);
    expect(stage.code).toBe(0);
    expect(stage.stdout).toContain(`pipeline ${id}   stage stats`);
    expect(stage.stdout).toMatch(/status\s+WAITING/);
    expect(stage.stdout).toContain('waiting  waiting for clean');
  });

  it('djc cancel PIPELINE cancels every unfinished stage run, then the pipeline', async () => {
    const id = await submitted();
    const r = await box.run(['cancel', id]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`${id} CANCELLED`);
    const json = JSON.parse((await box.run(['status', id, '--json'])).stdout) as { status: string; stages: { status: string; runs: { status: string }[] }[] };
    expect(json.status).toBe('CANCELLED');
    expect(json.stages.flatMap((s) => s.runs.map((x) => x.status))).toEqual(Array(5).fill('CANCELLED'));
    expect(json.stages.map((s) => s.status)).toEqual(Array(4).fill('CANCELLED'));
    expect((await box.run(['wait', id])).code).toBe(1);
  });
});
