import type { JobDemand } from '../scheduler/types.js';

/**
 * Decayed usage per owner (CPU-seconds of held workers, halving every
 * `halfLifeMs`), accumulated tick by tick from what the jobs hold. Kept in
 * the coordinator's memory: a restarted daemon starts from zero.
 */
export function createUsage(halfLifeMs: number) {
  const usage: Record<string, number> = {};
  let last: number | null = null;
  return {
    update(jobs: readonly JobDemand[], now: number): Record<string, number> {
      const dt = last === null ? 0 : Math.max(0, now - last);
      last = now;
      const decay = halfLifeMs > 0 ? 0.5 ** (dt / halfLifeMs) : 0;
      for (const owner of Object.keys(usage)) usage[owner] = (usage[owner] ?? 0) * decay;
      for (const j of jobs) {
        if (j.heldWorkers > 0) usage[j.owner] = (usage[j.owner] ?? 0) + (j.heldWorkers * j.perWorker.cpus * dt) / 1000;
      }
      return { ...usage };
    },
  };
}
