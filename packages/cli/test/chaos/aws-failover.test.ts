/**
 * Chaos on the AWS backend (DynamoDB Local + fauxqs for S3 and SQS): the
 * local chaos test, smaller: 100 tasks (500 records) through a coordinator
 * daemon while a random worker is SIGKILLed every 3 s (an AWS worker takes
 * seconds to start on a loaded machine: killed every 2 s, most died before
 * their first task) and the leading coordinator is SIGKILLed twice with a
 * standby waiting. Every record once, counters exact; figures to
 * .test-results/chaos.jsonl.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { useAwsBackend } from '../aws-backend.js';
import { djc } from '../helpers.js';
import { runFailoverScenario } from './failover-scenario.js';
import { writeGatedHandler } from './harness.js';

const t = useAwsBackend('djc-chaos-aws-');
/** 500 records in batches of 5. */
const RECORDS = 500;
const TASKS = RECORDS / 5;
/** Milliseconds a task takes. */
const MS = 50;

describe('chaos: aws backend', () => {
  it('100 tasks, a worker SIGKILLed every 3 s, the leader SIGKILLed twice: every record once, counters exact', async () => {
    writeFileSync(join(t.box.dir, 'in.jsonl'), Array.from({ length: RECORDS }, (_, i) => `{"n":${i}}\n`).join(''));
    // Batches from record 150 (task 30) on wait for the gate, opened after the second takeover.
    const gate = writeGatedHandler(t.box.dir, { ms: MS, from: 150 });
    writeFileSync(join(t.box.dir, 'job.yaml'), `name: chaosaws
input: { path: in.jsonl, batch: { records: 5 } }
handler: { module: ./gated.mjs#echo }
compute: { workers: 6, lease: 3s }
retry: { max_attempts: 20, backoff: { initial: 200ms, max: 1s } }
output: { path: out.jsonl }
`);
    const env = { ...t.env, DJC_HOME: t.box.home, DJC_COORDINATOR_STALE_SECONDS: '2' };
    await runFailoverScenario({
      test: 'aws: 100 tasks, worker kill / 3 s, 2 leader kills', backend: 'aws',
      run: (args, timeoutMs) => djc(args, { cwd: t.box.dir, home: t.box.home, env, timeoutMs }),
      dir: t.box.dir, home: t.box.home, env, tasks: TASKS, records: RECORDS, warmup: 10, killEveryMs: 3000, keep: 3, gate,
      rerunsExpected: false,
    });
  }, 300_000);
});
