import { describe, expect, it } from 'vitest';
import { backoffDelay, shouldRetry } from './retry-policy.js';

const backoff = { initial: 1000, max: 60_000, multiplier: 2, jitter: false };
const retry = {
  max_attempts: 3, backoff, retry_on: ['error', 'exit_code', 'timeout', 'signal', 'worker_lost', 'out_of_memory'] as const,
  non_retryable_exit_codes: [2],
};

describe('backoff', () => {
  it('grows by the multiplier and stops at max', () => {
    expect([1, 2, 3, 4, 10].map((a) => backoffDelay(a, backoff))).toEqual([1000, 2000, 4000, 8000, 60_000]);
  });
  it('full jitter draws from [0, delay]', () => {
    expect(backoffDelay(3, { ...backoff, jitter: true }, () => 0.5)).toBe(2000);
    expect(backoffDelay(3, { ...backoff, jitter: true }, () => 0)).toBe(0);
  });
});

describe('shouldRetry', () => {
  const base = { kind: 'error' as const, exitCode: null, retryable: true, attemptsUsed: 1 };
  it('retries until max_attempts', () => {
    expect(shouldRetry({ ...retry, retry_on: [...retry.retry_on] }, base)).toBe(true);
    expect(shouldRetry({ ...retry, retry_on: [...retry.retry_on] }, { ...base, attemptsUsed: 3 })).toBe(false);
  });
  it('never retries what the handler marked non-retryable', () => {
    expect(shouldRetry({ ...retry, retry_on: [...retry.retry_on] }, { ...base, retryable: false })).toBe(false);
  });
  it('honours retry_on and non_retryable_exit_codes', () => {
    expect(shouldRetry({ ...retry, retry_on: ['timeout'] }, base)).toBe(false);
    expect(shouldRetry({ ...retry, retry_on: [...retry.retry_on] }, { ...base, kind: 'exit_code', exitCode: 2 })).toBe(false);
    expect(shouldRetry({ ...retry, retry_on: [...retry.retry_on] }, { ...base, kind: 'exit_code', exitCode: 1 })).toBe(true);
  });
});
