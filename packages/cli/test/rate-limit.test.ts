/**
 * handler.rate_limit (issue 11): at most `calls` batch starts per `per`
 * across every worker of a job, measured from the tasks' recorded starts.
 * The slots live in the backend (StateStore.reserveRateSlot), so workers in
 * separate processes share them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { djc, sandboxPerTest } from './helpers.js';

const box = sandboxPerTest();
const opts = () => ({ cwd: box.dir, home: box.home });

interface TaskDoc { taskId: number; status: string; attempts: number; worker: string | null; claimedAt: string | null; startedAt: string | null }

const CALLS = 20;
const TASKS = 120;

describe('handler.rate_limit', () => {
  it(`${TASKS} tiny tasks (cat) on 4 workers × 4 slots with calls: ${CALLS}, per: 1s start at ${CALLS}/s: no 1 s window holds more than ${CALLS} (+10%), the overall rate within 10%`, async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: TASKS }, (_, i) => `{"n":${i}}\n`).join(''));
    writeFileSync(join(box.dir, 'limited.yaml'), [
      'name: limited',
      'input: { path: in.jsonl, batch: { records: 1 } }',
      // A command: no handler threads to warm up, so the limit, not a cold start, sets the pace.
      'handler: { command: cat, rate_limit: { calls: 20, per: 1s } }',
      'compute: { workers: 4, concurrency: 4 }',
      '',
    ].join('\n'));
    const r = await djc(['run', 'limited.yaml', '--json'], opts());
    expect(r.code, r.stderr).toBe(0);
    const { jobId, tasks: counts } = JSON.parse(r.stdout) as { jobId: string; tasks: { succeeded: number } };
    expect(counts.succeeded).toBe(TASKS);
    const t = await djc(['tasks', jobId, '--json'], opts());
    expect(t.code, t.stderr).toBe(0);
    const tasks = (JSON.parse(t.stdout) as { tasks: TaskDoc[] }).tasks;
    expect(tasks.every((x) => x.status === 'SUCCEEDED' && x.attempts === 1)).toBe(true);
    // Several workers shared the limit.
    expect(new Set(tasks.map((x) => x.worker)).size).toBeGreaterThan(1);
    const starts = tasks.map((x) => Date.parse(x.startedAt ?? 'x')).sort((a, b) => a - b);
    expect(starts.every(Number.isFinite)).toBe(true);
    // A task waited for its slot CLAIMED: its start is never before its claim.
    for (const x of tasks) expect(Date.parse(x.startedAt ?? 'x')).toBeGreaterThanOrEqual(Date.parse(x.claimedAt ?? x.startedAt ?? 'x'));
    let busiest = 0;
    for (let i = 0; i < starts.length; i++) {
      const from = starts[i] as number;
      busiest = Math.max(busiest, starts.filter((s) => s >= from && s < from + 1000).length);
    }
    expect(busiest).toBeLessThanOrEqual(Math.floor(CALLS * 1.1));
    const rate = (starts.length - 1) / (((starts.at(-1) as number) - (starts[0] as number)) / 1000);
    expect(rate).toBeGreaterThanOrEqual(CALLS * 0.9);
    expect(rate).toBeLessThanOrEqual(CALLS * 1.1);
  });

  it('a rate limit with calls: 0 is refused at validation with its YAML path (exit 2)', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), '{"n":1}\n');
    writeFileSync(join(box.dir, 'bad.yaml'), 'name: bad\ninput: { path: in.jsonl }\nhandler: { command: cat, rate_limit: { calls: 0 } }\n');
    const r = await djc(['validate', 'bad.yaml'], opts());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('handler.rate_limit.calls');
  });
});
