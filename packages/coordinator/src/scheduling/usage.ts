import type { WorkerAllocation } from '@djc/core';
import { fairShareUsage, type OwnerAllocations } from '../scheduler/fair-share.js';

/** Allocations of jobs that ended are kept for fair share this many half-lives (then they weigh < 0.1%). */
const KEEP_HALF_LIVES = 10;
const MAX_KEPT = 5_000;

/**
 * Fair-share usage per owner: the worker allocations of the jobs followed
 * now plus those of jobs that ended while this coordinator ran (kept in
 * memory: a restarted daemon starts from the jobs it follows).
 */
export function createUsage(halfLifeMs: number) {
  let ended: { owner: string; allocation: WorkerAllocation }[] = [];
  return {
    ended(owner: string, allocations: readonly WorkerAllocation[]): void {
      ended.push(...allocations.map((allocation) => ({ owner, allocation })));
      const horizon = Date.now() - KEEP_HALF_LIVES * halfLifeMs;
      ended = ended.filter((e) => e.allocation.endedAt === null || Date.parse(e.allocation.endedAt) > horizon).slice(-MAX_KEPT);
    },
    at(live: readonly OwnerAllocations[], now: number): Record<string, number> {
      const past = ended.map((e) => ({ owner: e.owner, allocations: [e.allocation] }));
      return fairShareUsage([...live, ...past], now, halfLifeMs);
    },
  };
}
