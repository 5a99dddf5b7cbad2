import { describe, expect, it } from 'vitest';
import { DjcError } from '../errors.js';
import {
  assertJobTransition, assertTaskTransition, canJobTransition, canTaskTransition,
  JOB_STATUSES, TASK_STATUSES, TERMINAL_JOB, TERMINAL_TASK,
} from './status.js';

describe('task transitions', () => {
  it.each([
    ['PENDING', 'RUNNING'], ['RUNNING', 'SUCCEEDED'], ['RUNNING', 'RETRY_WAIT'], ['RUNNING', 'FAILED'],
    ['RETRY_WAIT', 'RUNNING'], ['RETRY_WAIT', 'FAILED'], ['PENDING', 'CANCELLED'], ['RUNNING', 'CANCELLED'],
    ['FAILED', 'PENDING'], ['CANCELLED', 'PENDING'], ['RUNNING', 'PENDING'],
    ['PENDING', 'CLAIMED'], ['RETRY_WAIT', 'CLAIMED'], ['CLAIMED', 'RUNNING'], ['CLAIMED', 'PENDING'], ['CLAIMED', 'CANCELLED'],
  ] as const)('%s → %s is allowed', (from, to) => {
    expect(canTaskTransition(from, to)).toBe(true);
    expect(() => assertTaskTransition(from, to)).not.toThrow();
  });

  it.each([
    ['PENDING', 'SUCCEEDED'], ['PENDING', 'RETRY_WAIT'], ['SUCCEEDED', 'RUNNING'], ['SUCCEEDED', 'PENDING'],
    ['FAILED', 'RUNNING'], ['RETRY_WAIT', 'SUCCEEDED'], ['RETRY_WAIT', 'PENDING'], ['RUNNING', 'RUNNING'],
    // A held task ends only through RUNNING (its start, written alone or with its end); it never goes back to held.
    ['CLAIMED', 'SUCCEEDED'], ['CLAIMED', 'RETRY_WAIT'], ['CLAIMED', 'FAILED'], ['RUNNING', 'CLAIMED'], ['CLAIMED', 'CLAIMED'],
  ] as const)('%s → %s is rejected with ILLEGAL_TRANSITION naming the task', (from, to) => {
    expect(canTaskTransition(from, to)).toBe(false);
    let err: unknown;
    try { assertTaskTransition(from, to, { jobId: 'j1', taskId: 7 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DjcError);
    expect((err as DjcError).code).toBe('ILLEGAL_TRANSITION');
    expect((err as DjcError).message).toBe(`task 7 of job j1 cannot go from ${from} to ${to}`);
  });

  it('a succeeded task is final: nothing leaves SUCCEEDED', () => {
    for (const to of TASK_STATUSES) expect(canTaskTransition('SUCCEEDED', to)).toBe(false);
    expect([...TERMINAL_TASK].sort()).toEqual(['CANCELLED', 'FAILED', 'SUCCEEDED']);
  });
});

describe('job transitions', () => {
  it('follows SUBMITTED → PREPARING → RUNNING → FINALIZING → SUCCEEDED', () => {
    const path = ['SUBMITTED', 'PREPARING', 'RUNNING', 'FINALIZING', 'SUCCEEDED'] as const;
    for (let i = 1; i < path.length; i++) expect(canJobTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  it('every non-final status can be cancelled; finished jobs reopen only to RUNNING (djc retry), skipped ones to WAITING', () => {
    for (const s of JOB_STATUSES) {
      if (!TERMINAL_JOB.has(s)) expect(canJobTransition(s, 'CANCELLED')).toBe(true);
      else for (const to of JOB_STATUSES) expect(canJobTransition(s, to)).toBe(to === (s === 'SKIPPED' ? 'WAITING' : 'RUNNING'));
    }
  });

  it('a waiting job becomes ready (SUBMITTED), is skipped or cancelled, and never runs without being ready', () => {
    expect(canJobTransition('SUBMITTED', 'WAITING')).toBe(true);
    for (const to of ['SUBMITTED', 'SKIPPED', 'CANCELLED'] as const) expect(canJobTransition('WAITING', to)).toBe(true);
    for (const to of ['PREPARING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const) expect(canJobTransition('WAITING', to)).toBe(false);
    expect(canJobTransition('RUNNING', 'SKIPPED')).toBe(false);
    expect([...TERMINAL_JOB].sort()).toEqual(['CANCELLED', 'FAILED', 'SKIPPED', 'SUCCEEDED', 'TIMEOUT']);
  });

  it('rejects skipping ahead or going back', () => {
    expect(() => assertJobTransition('SUBMITTED', 'RUNNING', 'j1')).toThrow('job j1 cannot go from SUBMITTED to RUNNING');
    expect(() => assertJobTransition('RUNNING', 'PREPARING', 'j1')).toThrow(DjcError);
    expect(() => assertJobTransition('SUBMITTED', 'SUCCEEDED')).toThrow('cannot go from SUBMITTED to SUCCEEDED');
  });
});
