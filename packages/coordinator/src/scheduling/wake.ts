/** A sleep that `now()` ends early (a wake-up that comes while awake is kept for the next sleep). */
export function createWake() {
  let pending = false;
  let wakeUp: (() => void) | null = null;
  return {
    now: () => {
      pending = true;
      wakeUp?.();
    },
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (pending || signal?.aborted) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          wakeUp = null;
          pending = false;
          resolve();
        };
        const t = setTimeout(done, ms);
        wakeUp = done;
        signal?.addEventListener('abort', done, { once: true });
      });
    },
  };
}
