// Module handlers that leave errors behind them (stray-errors.ts).
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Returns at once; a promise it did not await rejects 300 ms later. */
export function rejectsLater(records: unknown[]): number {
  void sleep(300).then(() => Promise.reject(new Error('late rejection')));
  return records.length;
}

/** Throws in a timer callback 300 ms after it returned. */
export function throwsLater(records: unknown[]): number {
  setTimeout(() => {
    throw new RangeError('late throw');
  }, 300);
  return records.length;
}

/** Works 100 ms, then leaves a rejection that surfaces 2 ms after it returned: within its settle window (10 ms). */
export async function rejectsJustAfter(records: unknown[]): Promise<number> {
  await sleep(100);
  setTimeout(() => void Promise.reject(new Error('just after')), 2);
  return records.length;
}

/** A rejection it never awaits, while it still runs. */
export async function rejectsWhileRunning(records: unknown[]): Promise<number> {
  void Promise.reject(new TypeError('not awaited'));
  await sleep(20);
  return records.length;
}

/** An innocent handler that runs 1 s. */
export async function slowInnocent(records: unknown[]): Promise<number> {
  await sleep(1000);
  return records.length;
}
