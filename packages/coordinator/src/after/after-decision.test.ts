import { describe, expect, it } from 'vitest';
import type { AfterDependency, JobRecord, JobStatus } from '@djc/core';
import { afterDecision } from './after-decision.js';

const job = (jobId: string, status: JobStatus) => ({ jobId, status }) as JobRecord;

describe('afterDecision', () => {
  const ok: AfterDependency = { jobIds: ['a', 'b'], mode: 'ok' };
  const any: AfterDependency = { jobIds: ['a', 'b'], mode: 'any' };
  it.each<[string, AfterDependency, (JobRecord | null)[], ReturnType<typeof afterDecision>]>([
    ['afterok: every dependency succeeded → ready', ok, [job('a', 'SUCCEEDED'), job('b', 'SUCCEEDED')], { kind: 'ready' }],
    ['afterok: one still runs → wait, naming it', ok, [job('a', 'SUCCEEDED'), job('b', 'RUNNING')], { kind: 'wait', reason: 'waiting for b (RUNNING)' }],
    ['afterok: one failed → skipped at once, even while another runs', ok, [job('a', 'RUNNING'), job('b', 'FAILED')],
      { kind: 'skip', reason: 'dependency b FAILED (--after needs every one to succeed)' }],
    ['afterok: a cancelled dependency → skipped', { jobIds: ['a'], mode: 'ok' }, [job('a', 'CANCELLED')], { kind: 'skip', reason: 'dependency a CANCELLED' }],
    ['afterok: a skipped dependency → skipped (chains end)', { jobIds: ['a'], mode: 'ok' }, [job('a', 'SKIPPED')], { kind: 'skip', reason: 'dependency a SKIPPED' }],
    ['afterany: every dependency ended, however → ready', any, [job('a', 'FAILED'), job('b', 'CANCELLED')], { kind: 'ready' }],
    ['afterany: one waits itself → wait', any, [job('a', 'FAILED'), job('b', 'WAITING')], { kind: 'wait', reason: 'waiting for b (WAITING)' }],
    ['a dependency that no longer exists → skipped, never waits forever', any, [job('a', 'RUNNING'), null], { kind: 'skip', reason: 'dependency b does not exist (any more)' }],
  ])('%s', (_, after, deps, expected) => {
    expect(afterDecision(after, deps)).toEqual(expected);
  });
});
