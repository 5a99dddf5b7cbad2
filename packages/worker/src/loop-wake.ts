/**
 * What the worker loop sleeps on when it has nothing to do until something
 * happens: a slot frees, a message is done, the worker is told to stop, a
 * held task goes stale. Each of those calls `wake()`; the loop awaits
 * `wait()`. One waiter at a time, nothing kept once it is woken: racing the
 * slots against a promise that stays pending until shutdown would leave a
 * reaction on that promise per wait (about 500 bytes per task, measured by
 * the worker-soak benchmark), never released while the worker runs.
 */
export class LoopWake {
  private waiter: (() => void) | null = null;
  /** A wake that came while the loop was not waiting: its next wait returns at once. */
  private woken = false;
  private timer: NodeJS.Timeout | null = null;

  /** Wakes the loop's wait, or its next one if it is not waiting now. */
  readonly wake = (): void => {
    const waiter = this.waiter;
    if (waiter === null) {
      this.woken = true;
      return;
    }
    this.waiter = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    waiter();
  };

  /** Resolves at the next wake (at once if one came since the last wait), or after `ms` if given. */
  wait(ms?: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
      if (ms !== undefined) {
        this.timer = setTimeout(this.wake, ms);
        this.timer.unref();
      }
    });
  }
}
