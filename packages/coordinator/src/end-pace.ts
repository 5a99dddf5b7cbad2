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
