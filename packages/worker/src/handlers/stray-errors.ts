/**
 * Stray errors of module handlers: a promise a handler started without
 * awaiting it that rejects, or an exception thrown in one of its callbacks
 * (a timer, an event). They arise outside the handler's own promise, so
 * the thread attributes them by async context (module-thread.ts) and gives
 * each finished handler a short settle window in which they still fail it.
 */
import { capText, MAX_ERROR_CHARS } from '@djc/core/thread';
import { inspect } from 'node:util';

/** Longest settle window after a handler returns. */
export const SETTLE_MAX_MS = 50;

/**
 * Waits after a handler returned, for errors it left behind: a tenth of
 * its run time, at most SETTLE_MAX_MS, at least one turn of the event loop
 * (rejections of promises already settled surface then). A tenth bounds
 * the cost to 10% of a handler's time, and to almost nothing for the
 * sub-millisecond handlers of tiny tasks.
 */
export function settleAfter(handlerMs: number): Promise<void> {
  const ms = Math.min(SETTLE_MAX_MS, handlerMs / 10);
  return new Promise((resolve) => {
    if (ms < 1) setImmediate(resolve);
    else setTimeout(resolve, ms);
  });
}

/** "Error: late (at count.mjs:3:9)": a stray error in one line, with where in the handler's file it arose. */
export function strayErrorText(e: unknown, ref: string): string {
  if (!(e instanceof Error)) return capText(inspect(e, { breakLength: Infinity, depth: 2 }), MAX_ERROR_CHARS - 400);
  const file = ref.includes('#') ? ref.slice(0, ref.lastIndexOf('#')) : ref;
  const frame = userFrame(e.stack, file);
  return `${e.name}: ${capText(e.message, MAX_ERROR_CHARS - 400)}${frame ? ` (at ${frame})` : ''}`;
}

/** "count.ts:12:9" from the first stack line in the handler's own file. */
export function userFrame(stack: string | undefined, file: string): string | null {
  if (!stack || file === '') return null;
  const base = file.slice(file.lastIndexOf('/') + 1);
  for (const line of stack.split('\n').slice(1)) {
    if (!line.includes(file)) continue;
    const m = /:(\d+):(\d+)\)?\s*$/.exec(line);
    if (m) return `${base}:${m[1]}:${m[2]}`;
  }
  return null;
}
