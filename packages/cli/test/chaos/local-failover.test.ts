/**
 * Chaos on the local backend: 10,000 tasks through a coordinator daemon
 * while a random worker is SIGKILLed every 2 s and the leading coordinator
 * is SIGKILLed twice with a standby waiting. The result must hold every
 * record exactly once and the counters must be exact; the figures (lost,
 * duplicated, attempts, takeover seconds) go to .test-results/chaos.jsonl.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { djc, sandboxPerTest } from '../helpers.js';
import { runFailoverScenario } from './failover-scenario.js';
import { writeGatedHandler } from './harness.js';

const box = sandboxPerTest('djc-chaos-');
const TASKS = 10_000;
/** Milliseconds a task takes. */
const MS = 5;

describe('chaos: local backend', () => {
  it('10,000 tasks, a worker SIGKILLed every 2 s, the leader SIGKILLed twice: every record once, counters exact', async () => {
    writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: TASKS }, (_, i) => `{"n":${i}}\n`).join(''));
    // Batches from record 2_000 on wait for the gate, opened after the second takeover.
    const gate = writeGatedHandler(box.dir, { ms: MS, from: 2_000 });
    writeFileSync(join(box.dir, 'job.yaml'), `name: chaos
input: { path: in.jsonl, batch: { records: 1 } }
handler: { module: ./gated.mjs#echo }
compute: { workers: 6, lease: 3s }
retry: { max_attempts: 20, backoff: { initial: 100ms, max: 1s } }
output: { path: out.jsonl }
`);
    // A job whose coordinator stopped marking it 2 s ago is adopted by the next leader.
    const env = { DJC_HOME: box.home, DJC_COORDINATOR_STALE_SECONDS: '2' };
    await runFailoverScenario({
      test: 'local: 10k tasks, worker kill / 2 s, 2 leader kills', backend: 'local',
      run: (args, timeoutMs) => djc(args, { cwd: box.dir, home: box.home, timeoutMs }),
      dir: box.dir, home: box.home, env, tasks: TASKS, records: TASKS, warmup: 1_000, killEveryMs: 2000, keep: 2, gate,
      rerunsExpected: true,
    });
  });
});
