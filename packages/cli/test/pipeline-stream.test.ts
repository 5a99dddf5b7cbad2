/**
 * N to N with streaming (`input: { from: up, each: batch }`): batch i of
 * the downstream stage is upstream task i's output, and the downstream
 * stage starts while the upstream one still runs: PROVED by a downstream
 * attempt that started before the upstream stage ended. Results checked
 * against an independent computation.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxPerTest } from './helpers.js';
import { writeStreamPipeline } from './pipeline-helpers.js';

const box = sandboxPerTest('djc-pipeline-stream-');

describe('N to N streaming', () => {
  it('task i downstream reads upstream task i\'s output and starts before the upstream stage ends', async () => {
    const numbers = Array.from({ length: 60 }, (_, i) => i);
    writeStreamPipeline(box.dir);
    const r = await box.run(['run', 'stream.yaml']);
    expect(r.code).toBe(0);
    const out = (await box.run(['results', 'stream.down'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { n: number; up: number; down: number });
    expect(out.map((x) => x.n)).toEqual(numbers.map((n) => n * 2 + 1));
    for (const x of out) expect(x.down).toBe(x.up);
    expect(new Set(out.map((x) => x.down)).size).toBe(6);

    const up = JSON.parse((await box.run(['status', 'stream.up', '--json'])).stdout) as { endedAt: string; tasks: { total: number } };
    const tasks = JSON.parse((await box.run(['tasks', 'stream.down', '--json'])).stdout) as { tasks: { taskId: number; startedAt: string }[] };
    expect(up.tasks.total).toBe(6);
    expect(tasks.tasks.map((t) => t.taskId)).toEqual([0, 1, 2, 3, 4, 5]);
    const firstDownstreamStart = Math.min(...tasks.tasks.map((t) => Date.parse(t.startedAt)));
    expect(firstDownstreamStart).toBeLessThan(Date.parse(up.endedAt));
  });

  /** up: 6 batches of 10 on 1 worker, batch 3 throws (no retry); down streams from it with `policy`, taking `downMs` a batch. */
  function writeFailing(policy: 'skip' | 'run', downMs = 0): void {
    writeStreamPipeline(box.dir, { upMs: 200, downMs, failBatch: 3, policy });
  }

  it('an upstream that fails: the streaming downstream follows on_upstream_failure skip: SKIPPED with the reason, exit 1', async () => {
    writeFailing('skip', 1500);
    const r = await box.run(['run', 'stream.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('djc: stream.up FAILED');
    expect(r.stderr).toContain('djc: stream.down SKIPPED: upstream up FAILED');
    expect(r.stdout).toMatch(/^status\s+FAILED/m);
    expect(r.stdout).toMatch(/^error\s+up FAILED, down SKIPPED$/m);
    const down = JSON.parse((await box.run(['status', 'stream.down', '--json'])).stdout) as { status: string; reason: string };
    expect(down).toMatchObject({ status: 'SKIPPED', reason: 'upstream up FAILED' });
    // What it had not run when its upstream failed was cancelled; nothing is left queued or running.
    const tasks = JSON.parse((await box.run(['tasks', 'stream.down', '--json'])).stdout) as { tasks: { status: string }[] };
    for (const t of tasks.tasks) expect(['SUCCEEDED', 'CANCELLED']).toContain(t.status);
    // A slow downstream: some of its tasks were still queued, so were cancelled.
    expect(tasks.tasks.some((t) => t.status === 'CANCELLED')).toBe(true);

    // The upstream's bug fixed, djc retry re-runs its failed task and the
    // downstream's cancelled ones: every record comes through, once, in order.
    writeFileSync(join(box.dir, 'up.mjs'), 'export function double(records, ctx) { return records.map((r) => ({ n: r.n * 2, batch: ctx.batch.index })); }\n');
    const again = await box.run(['retry', 'stream']);
    expect(again.code, again.stderr).toBe(0);
    const out = (await box.run(['results', 'stream.down'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { n: number; up: number; down: number });
    expect(out.map((x) => x.n)).toEqual(Array.from({ length: 60 }, (_, n) => n * 2 + 1));
    for (const x of out) expect(x.down).toBe(x.up);
  });

  it('on_upstream_failure: run: the streaming downstream runs on the upstream tasks that succeeded, and succeeds', async () => {
    writeFailing('run');
    const r = await box.run(['run', 'stream.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('djc: stream.down SUCCEEDED');
    expect(r.stdout).toMatch(/^error\s+up FAILED$/m);
    const up = JSON.parse((await box.run(['tasks', 'stream.up', '--json'])).stdout) as { tasks: { taskId: number; status: string }[] };
    const ok = up.tasks.filter((t) => t.status === 'SUCCEEDED').map((t) => t.taskId);
    expect(ok).not.toContain(3);
    expect(ok.length).toBeGreaterThan(0);
    const out = (await box.run(['results', 'stream.down'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { n: number; up: number; down: number });
    const expected = ok.flatMap((b) => Array.from({ length: 10 }, (_, k) => (b * 10 + k) * 2 + 1));
    expect(out.map((x) => x.n)).toEqual(expected);
    for (const x of out) expect(x.down).toBe(x.up);
  });
});
