import type { TaskCounts } from '@djc/core';

/**
 * How fast a job's tasks end, for the supervisor's wait between monitor
 * ticks (coordinate-job.ts): it looks at the job often (watchIntervalMs)
 * only in the job's last stretch, and "last stretch" meant no task left in
 * the queue. Quick tasks are claimed in groups, so the queue empties with a
 * few dozen tasks still to run, and those may all end well inside the tick
 * the supervisor then slept through: a 2,000-command job ended on average
 * ~90 ms (up to 150) after its last task. The pace measured between looks
 * says whether what is left ends before the next tick.
 */
/** The shortest span a pace is measured over. */
const MIN_WINDOW_MS = 100;

export class EndPace {
  /** (time, tasks ended) at each look, the oldest kept the newest one at least MIN_WINDOW_MS old. */
  private readonly looks: { at: number; ended: number }[];

  constructor(now = Date.now(), ended = 0) {
    this.looks = [{ at: now, ended }];
  }

  /**
   * Whether, at the pace tasks ended over the last MIN_WINDOW_MS or more
   * (looks 20 ms apart would see no task end of a job whose tasks take
   * longer), every unfinished task of `t` ends within `ms`.
   */
  endsWithin(t: TaskCounts, ms: number, now = Date.now()): boolean {
    const ended = t.succeeded + t.failed + t.cancelled;
    const looks = this.looks;
    while (looks.length > 1 && now - looks[1]!.at >= MIN_WINDOW_MS) looks.shift();
    const from = looks[0]!;
    looks.push({ at: now, ended });
    const perMs = (ended - from.ended) / Math.max(1, now - from.at);
    const unfinished = t.pending + t.claimed + t.running + t.retrying;
    return perMs > 0 && unfinished / perMs <= ms;
  }
}

/**
 * At most this many tasks left is a job's last stretch, queued or not: no
 * more than the last stretch of a larger job (its workers' claimed and
 * running tasks), and a small job (one task: ~150 ms) does not wait for the
 * tick after its end.
 */
export const FEW_LEFT = 32;

/**
 * A job's last stretch, where its supervisor looks at it often so that its
 * end is seen at once: no task queued (the last ones claimed or running), at
 * most FEW_LEFT tasks left, or what is left ends within `leftMs` (the rest
 * of the tick) at the pace tasks have been ending.
 */
export function inLastStretch(t: TaskCounts, pace: EndPace, leftMs: number): boolean {
  if (t.pending + t.retrying === 0) return true;
  if (t.pending + t.claimed + t.running + t.retrying <= FEW_LEFT) return true;
  return pace.endsWithin(t, leftMs);
}
