/**
 * Traces with workers on the REAL local Slurm cluster (scripts/slurm/up.sh):
 * the array's workers, other processes started by Slurm, put their attempt
 * spans in the job's trace (its id derived from the job id), beside the
 * prepare and finalize spans of `djc run`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobSpanId, jobTraceId } from '@djc/core';
import { djc, leakedProcesses, makeSandbox, waitFor } from './helpers.js';
import { startOtlpReceiver } from './otlp-receiver.js';
import { assertSlurmUp, liveSlurmJobsUnder, scancelQuietly } from './slurm-helpers.js';

let box: ReturnType<typeof makeSandbox>;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
beforeAll(async () => { await assertSlurmUp(); });
beforeEach(async () => {
  box = makeSandbox('djc-slurm-trace-');
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await scancelQuietly(await liveSlurmJobsUnder(box.dir));
  const leaked = await leakedProcesses(box.home, 20_000);
  await receiver.close();
  box.cleanup();
  expect(leaked).toEqual([]);
});

describe('tracing with Slurm workers', () => {
  it('attempt spans from the array\'s workers land in the job\'s trace under its root span', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 6 }, (_, i) => `{"n":${i}}\n`).join(''));
    writeFileSync(join(box.dir, 'job.yaml'), `name: slurmtraced
input: { path: in.jsonl, batch: { records: 1 } }
handler:
  command: |
    printf '{"tp":"%s"}\\n' "\${TRACEPARENT:-}"
compute:
  dispatcher: slurm
  workers: 2
  slurm: { partition: debug, time: "00:10:00" }
output: { path: out.jsonl }
`);
    const r = await djc(['run', 'job.yaml', '--json'], {
      cwd: box.dir, home: box.home, env: { DJC_SLURM_POLL_MS: '500', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint },
    });
    expect(r.code, r.stderr).toBe(0);
    const { jobId } = JSON.parse(r.stdout) as { jobId: string };
    const spans = await waitFor('the attempt spans of the Slurm workers', async () => {
      const mine = receiver.spans.filter((s) => s.attributes['djc.job_id'] === jobId);
      return mine.filter((s) => s.name === 'attempt').length === 6 && mine.some((s) => s.name === 'job') ? mine : undefined;
    }, 60_000);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([jobTraceId(jobId)]));
    const attempts = spans.filter((s) => s.name === 'attempt');
    expect(attempts.every((s) => s.parentSpanId === jobSpanId(jobId) && String(s.attributes['djc.worker']).startsWith('slurm:'))).toBe(true);
    expect(attempts.map((s) => s.attributes['djc.task_id']).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(spans.filter((s) => s.name === 'prepare' || s.name === 'finalize')).toHaveLength(2);
  }, 180_000);
});
