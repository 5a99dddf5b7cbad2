/**
 * Hand-off between stages (issue 10, benchmark 9): the upstream's
 * coordinator finalizes it as soon as its last task commits, and the
 * downstream's workers start while the upstream's last round of tasks runs
 * (Dispatcher.warm), so they are up when its first task comes. PROVED by
 * the worker logs: the downstream's worker started before the upstream
 * ended, its first attempt after. When the upstream fails instead, those
 * workers exit cleanly and the downstream ends SKIPPED.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leakedProcesses, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest('djc-pipeline-handoff-');

/** up: 2 batches of 5 on 1 worker, each task `ms` long (batch 1 throws when `failLast`); down reads up's whole output. */
function writePipeline(dir: string, o: { ms: number; failLast?: boolean }): void {
  writeFileSync(join(dir, 'numbers.jsonl'), Array.from({ length: 10 }, (_, n) => JSON.stringify({ n })).join('\n') + '\n');
  writeFileSync(join(dir, 'h.mjs'), `export async function slow(records, ctx) {
  await new Promise((r) => setTimeout(r, ${o.ms}));
  ${o.failLast ? "if (ctx.batch.index === 1) throw new Error('up cannot go on');" : ''}
  return records.map((r) => ({ n: r.n * 10 }));
}
export const inc = (records) => records.map((r) => ({ n: r.n + 1 }));
`);
  writeFileSync(join(dir, 'p.yaml'), `name: handoff
stages:
  up:
    input: { path: numbers.jsonl, batch: { records: 5 } }
    handler: { module: ./h.mjs#slow }
    compute: { workers: 1 }
    retry: { max_attempts: 1 }
  down:
    needs: [up]
    input: { from: up }
    handler: { module: ./h.mjs#inc }
    compute: { workers: 1 }
`);
}

/** The time of each "worker started" / "worker stopped" line of a stage run's worker logs. */
function workerEvents(home: string, jobId: string): { started: number[]; stopped: number[] } {
  const dir = join(home, 'workers', jobId);
  const lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'))
    .map((l) => JSON.parse(l) as { msg: string; time: number });
  const at = (msg: string) => lines.filter((l) => l.msg === msg).map((l) => l.time);
  return { started: at('worker started'), stopped: at('worker stopped') };
}

async function statusOf(ref: string): Promise<{ jobId: string; status: string; reason: string | null; startedAt: string | null; endedAt: string }> {
  return JSON.parse((await box.run(['status', ref, '--json'])).stdout);
}

describe('stage hand-off', () => {
  it('the downstream\'s worker starts while the upstream\'s last task runs; its first attempt starts after the upstream ended', async () => {
    writePipeline(box.dir, { ms: 2000 });
    const r = await box.run(['run', 'p.yaml']);
    expect(r.code).toBe(0);
    expect((await box.run(['results', 'handoff.down'])).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n))
      .toEqual(Array.from({ length: 10 }, (_, n) => n * 10 + 1));

    const up = await statusOf('handoff.up');
    const down = await statusOf('handoff.down');
    const workers = workerEvents(box.home, down.jobId);
    expect(workers.started).toHaveLength(1);
    expect(workers.started[0]!).toBeLessThan(Date.parse(up.endedAt));
    const tasks = JSON.parse((await box.run(['tasks', 'handoff.down', '--json'])).stdout) as { tasks: { startedAt: string }[] };
    expect(Date.parse(tasks.tasks[0]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(up.endedAt));
    expect(await leakedProcesses(box.home)).toEqual([]);
  });

  it('an upstream that fails in its last round: the downstream\'s early workers exit cleanly, it ends SKIPPED with the reason', async () => {
    writePipeline(box.dir, { ms: 1500, failLast: true });
    const r = await box.run(['run', 'p.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('djc: handoff.down SKIPPED: upstream up FAILED');
    const down = await statusOf('handoff.down');
    expect(down.status).toBe('SKIPPED');
    expect(down.startedAt).toBeNull();
    const workers = workerEvents(box.home, down.jobId);
    expect(workers.started).toHaveLength(1);
    expect(workers.stopped).toHaveLength(1);
    const tasks = JSON.parse((await box.run(['tasks', 'handoff.down', '--json'])).stdout) as { tasks: unknown[] };
    expect(tasks.tasks).toEqual([]);
    expect(await leakedProcesses(box.home)).toEqual([]);
  });
});
