/**
 * The daemon's settings when no file gives them, and the lock rule, without
 * zod: `djc run` schedules against them (scheduling-context.ts runCapacity)
 * and loads no zod for it. What DaemonSettingsSchema.parse({}) returns
 * (daemon-defaults.test.ts compares them); daemon-settings.ts validates files.
 */
import type { DaemonSettings } from './daemon-settings.js';

/** The defaults (no file): a new object each call. */
export function defaultDaemonSettings(): DaemonSettings {
  return {
    capacity: {},
    pools: {},
    max_jobs: null,
    quotas: {},
    fair_share: { half_life: 60 * 60_000, owner_label: null },
    aging: 30 * 60_000,
    warm_workers: 1,
    preempt: null,
    lock: { ttl: 15_000, renew: 3_000 },
  };
}

/**
 * What is wrong with a lock TTL and renewal interval, or null: a leader must
 * renew well before its lock expires (at least twice per TTL).
 */
export function lockIssue(lock: { ttl: number; renew: number }): string | null {
  if (lock.ttl < 1000) return `the lock TTL must be at least 1s, found ${lock.ttl}ms`;
  if (lock.renew * 2 > lock.ttl) return `renewing every ${lock.renew}ms leaves a ${lock.ttl}ms lock no margin: renew at most every TTL/2 (e.g. ttl 15s, renew 3s)`;
  return null;
}
