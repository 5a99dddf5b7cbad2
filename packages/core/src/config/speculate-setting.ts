/**
 * compute.speculate: when the coordinator starts a speculative copy of a
 * straggler. `after` is relative to the task's finished peers ("p95x2": twice
 * the 95th percentile of their durations) or a fixed duration ("10m").
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from './units.js';

/** A copy is started once a task has run longer than this. */
export type SpeculateAfter =
  | { kind: 'percentile'; percentile: number; factor: number }
  | { kind: 'fixed'; ms: number };

const RELATIVE = /^p(\d{1,2}(?:\.\d+)?)\s*[x×*]\s*(\d+(?:\.\d+)?)$/i;
const MIN_FIXED_MS = 1000;

/** Parses `after`; a string naming what is wrong otherwise. */
export function parseSpeculateAfter(v: string | number): SpeculateAfter | string {
  const text = String(v).trim();
  const m = RELATIVE.exec(text);
  if (m) {
    const percentile = Number(m[1]);
    const factor = Number(m[2]);
    if (percentile <= 0 || percentile >= 100) return `the percentile of "${text}" must be between p1 and p99`;
    if (factor < 1 || factor > 100) return `the factor of "${text}" must be from 1 to 100 (a copy of a task no slower than its peers is waste)`;
    return { kind: 'percentile', percentile, factor };
  }
  const ms = parseDuration(v);
  if (ms === null) {
    return `expected "p95x2" (a task running longer than twice the 95th percentile of its finished peers' durations) `
      + `or a duration such as "10m", found ${JSON.stringify(v)}`;
  }
  if (ms < MIN_FIXED_MS) return `expected a duration of at least ${formatDuration(MIN_FIXED_MS)}, found ${JSON.stringify(v)}`;
  return { kind: 'fixed', ms };
}

/** How `after` reads in messages: "p95x2" or "10m". */
export function formatSpeculateAfter(a: SpeculateAfter): string {
  return a.kind === 'fixed' ? formatDuration(a.ms) : `p${a.percentile}x${a.factor}`;
}

export const SpeculateSchema = z
  .strictObject({
    after: z
      .union([z.string(), z.number()])
      .transform((v, ctx): SpeculateAfter => {
        const parsed = parseSpeculateAfter(v);
        if (typeof parsed === 'string') {
          ctx.addIssue({ code: 'custom', message: parsed });
          return z.NEVER;
        }
        return parsed;
      })
      .meta({
        description: 'When a running task gets a copy: "pNNxF" (longer than F times the NNth percentile of the durations of the '
          + 'job\'s finished tasks, e.g. "p95x2"), or a duration ("10m", or a number of seconds)',
      }),
    min_peers: z.number().int().min(1).max(100_000).default(10).meta({
      description: 'Finished tasks needed before a "pNNxF" threshold is trusted (no copies before)',
    }),
  })
  .meta({
    description: 'Speculative copies of stragglers (opt-in): once no task is waiting to start, a task running longer than `after` '
      + 'gets a second attempt on another worker; the first to commit wins, the other is stopped and its output discarded. '
      + 'At most one copy per attempt; a copy costs no retry budget',
  });

export type SpeculateConfig = z.output<typeof SpeculateSchema>;
