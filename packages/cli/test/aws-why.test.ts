/**
 * `djc tasks JOB --why` and `djc status JOB --why` on the AWS backend
 * (DynamoDB Local + fauxqs), the scenario of why-helpers.ts: the same
 * reasons as on the local backend. (SQS cannot tell which task lost its
 * message, so `message_lost` is a local-only reason; the sweep still
 * re-sends, see aws-lost-messages.test.ts.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAwsBackend } from './aws-backend.js';
import { expectRunningReasons, startWhyScenario, stopScenariosAfterEach, whyJson } from './why-helpers.js';

const t = useAwsBackend('djc-awswhy-');
stopScenariosAfterEach();

describe('--why (aws)', () => {
  it('says why each unfinished task is not running: backoff, running, queued, job paused', async () => {
    const startedAt = Date.now();
    const env = { dir: t.box.dir, home: t.box.home, env: t.env, run: (args: string[]) => t.run(args) };
    const { jobId, run } = await startWhyScenario(env);
    expectRunningReasons(await whyJson(env, jobId), startedAt);

    const status = await t.run(['status', jobId, '--why']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('Why not running (4 unfinished tasks):');
    expect(status.stdout).toMatch(/\n {2}2 tasks \(2-3\) waiting_for_worker: e\.g\. task 2: queued, waiting for a free worker/);

    expect((await t.run(['pause', jobId])).code).toBe(0);
    const paused = await whyJson(env, jobId);
    expect(paused.job?.code).toBe('job_paused');
    expect(paused.tasks.filter((x) => x.status === 'PENDING').map((x) => x.code)).toEqual(['job_paused', 'job_paused']);

    writeFileSync(join(t.box.dir, 'go'), '');
    expect((await t.run(['cancel', jobId])).code).toBe(0);
    expect((await run.done).code).toBe(1);
  }, 180_000);
});
