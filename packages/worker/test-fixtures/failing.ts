// Module handlers that fail in every way a handler can.
interface Ctx {
  signal: AbortSignal;
  log: { info(...args: unknown[]): void };
}

export function thrower(): never {
  throw new TypeError('boom: cannot count');
}

export function nonRetryable(): never {
  throw Object.assign(new Error('bad input'), { retryable: false });
}

export function throwsString(): never {
  throw 'plain string';
}

export function busy(_records: unknown[], ctx: Ctx): void {
  ctx.log.info('about to spin');
  for (;;) {
    // a synchronous busy loop: only terminating the thread stops it
  }
}

export function hog(): number {
  const keep: number[][] = [];
  for (;;) keep.push(new Array<number>(100_000).fill(Math.random()));
}

export function exiter(): void {
  process.exit(7);
}

/** Waits 30 s unless ctx.signal aborts first. */
export async function slow(_records: unknown[], ctx: Ctx): Promise<string> {
  ctx.signal.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, 30_000);
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(ctx.signal.reason as Error);
    });
  });
  return 'finished';
}

/** Waits 30 s and ignores ctx.signal. */
export async function stubborn(): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  return 'finished';
}
