import { describe, expect, it } from 'vitest';
import type { JobRecord } from '@djc/core';
import { countLive } from './health-summary.js';

const job = (status: JobRecord['status'], groups: { state: string; count: number }[] = []) =>
  ({ status, workers: groups.length ? { groups: groups.map((g) => ({ ...g, reason: null })) } : null }) as unknown as JobRecord;

describe('countLive', () => {
  it('counts live jobs by status and their workers by state, keys sorted', () => {
    expect(countLive([
      job('RUNNING', [{ state: 'RUNNING', count: 2 }, { state: 'FAILED', count: 1 }]),
      job('QUEUED'),
      job('RUNNING', [{ state: 'RUNNING', count: 3 }]),
    ])).toEqual({ jobs: { QUEUED: 1, RUNNING: 2 }, workers: { FAILED: 1, RUNNING: 5 } });
  });

  it('is empty without jobs', () => {
    expect(countLive([])).toEqual({ jobs: {}, workers: {} });
  });
});
