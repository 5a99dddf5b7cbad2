import type { SpeculateConfig } from '@djc/core';

/** A running attempt, as the straggler check sees it. */
export interface RunningAttempt {
  taskId: number;
  attempt: number;
  /** Epoch ms it started. */
  startedAt: number;
  /** Already has a copy asked for (or running). */
  copied: boolean;
}

/** The decision: which attempts get a copy, and the threshold used (ms), or why none. */
export type StragglerDecision = { copy: RunningAttempt[]; thresholdMs: number } | { copy: []; why: string };

/**
 * The `p`th percentile (nearest rank) of `values`; NaN when empty.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * Pure: which running attempts are stragglers under `cfg` at `now`, given
 * the durations (ms) of the job's finished peers. A relative threshold
 * ("p95x2") needs `cfg.min_peers` finished durations; an attempt already
 * copied is never copied again.
 */
export function stragglers(running: readonly RunningAttempt[], durations: readonly number[], cfg: SpeculateConfig, now: number): StragglerDecision {
  const after = cfg.after;
  let thresholdMs: number;
  if (after.kind === 'fixed') thresholdMs = after.ms;
  else {
    if (durations.length < cfg.min_peers) return { copy: [], why: `${durations.length} of ${cfg.min_peers} peers finished` };
    thresholdMs = percentile(durations, after.percentile) * after.factor;
  }
  const copy = running.filter((r) => !r.copied && now - r.startedAt > thresholdMs);
  return { copy, thresholdMs };
}
