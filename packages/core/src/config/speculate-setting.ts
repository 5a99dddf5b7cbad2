/**
 * compute.speculate: when the coordinator starts a speculative copy of a
 * straggler. `after` is relative to the task's finished peers ("p95x2": twice
 * the 95th percentile of their durations) or a fixed duration ("10m").
 */
import { z } from 'zod';
import { parseSpeculateAfter, type SpeculateAfter } from './speculate-after.js';

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
