/**
 * Handler runners: run ONE attempt of a task's handler on its batch and say
 * how it ended. `createHandlerRunner` dispatches on `handler.module` (a
 * worker-thread pool, see module-runner.ts) or `handler.command` (a shell
 * process group, see command-runner.ts).
 *
 * A module handler that must not be retried throws an error marked so:
 *   throw Object.assign(new Error('bad input'), { retryable: false });
 */
import type { Logger } from '@djc/core';
import { createCommandRunner } from './command-runner.js';
import { createModuleRunner } from './module-runner.js';
import { failed } from './results.js';
import { dropSpareThread } from './spare-thread.js';
import type { AttemptResult, AttemptSpec, HandlerRunner } from './types.js';

export type { AttemptFailure, AttemptOutput, AttemptResult, AttemptSpec, AttemptSuccess, HandlerRunner, InputSpec } from './types.js';
export { DEFAULT_HEAP_BYTES } from './module-runner.js';

/**
 * One runner per worker process. `slots` is how many attempts run at once
 * (compute.concurrency): the module thread pool has that many threads.
 * `memoryBytes` is the default heap limit of module handlers (compute.memory).
 * `log` (default: JSON on stderr) gets what belongs to no running attempt,
 * e.g. a stray error of a module handler attempt that already ended.
 */
export function createHandlerRunner(opts: { slots: number; memoryBytes?: number; log?: Logger }): HandlerRunner {
  const modules = createModuleRunner(opts);
  const commands = createCommandRunner();
  const closing = new AbortController();
  return {
    async run(spec: AttemptSpec): Promise<AttemptResult> {
      if (closing.signal.aborted) return failed('signal', 'attempt aborted: handler runner closed', '');
      const { signal, dispose } = eitherSignal(spec.signal, closing.signal);
      try {
        if (spec.handler.module !== undefined) return await modules.run(spec, signal);
        if (spec.handler.command !== undefined) return await commands.run(spec, signal);
        return failed('error', 'set exactly one of handler.module or handler.command', '', { retryable: false });
      } catch (e) {
        return failed('error', `handler runner failed: ${(e as Error).message}`, (e as Error).stack ?? '');
      } finally {
        dispose();
      }
    },
    prewarm(handler, memoryBytes) {
      if (handler.module !== undefined && !closing.signal.aborted) modules.prewarm(memoryBytes);
      // A warm worker's spare thread not adopted by now (a command job, another heap limit) is not needed.
      dropSpareThread();
    },
    canQueue(handler, memoryBytes, behind) {
      if (closing.signal.aborted) return false;
      if (handler.module !== undefined) return modules.canQueue(memoryBytes, behind);
      return handler.command !== undefined && commands.canQueue(behind);
    },
    async close(): Promise<void> {
      closing.abort(new Error('handler runner closed'));
      await Promise.all([modules.close(), commands.close()]);
    },
  };
}

/**
 * A signal that aborts when `a` or `b` does, with `a`'s or `b`'s reason,
 * and `dispose` to unhook it once the attempt is over. (AbortSignal.any
 * does the same but keeps weak references that cost more than a short
 * attempt.)
 */
function eitherSignal(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const both = new AbortController();
  const onA = () => both.abort(a.reason);
  const onB = () => both.abort(b.reason);
  if (a.aborted) onA();
  else if (b.aborted) onB();
  a.addEventListener('abort', onA, { once: true });
  b.addEventListener('abort', onB, { once: true });
  return {
    signal: both.signal,
    dispose: () => {
      a.removeEventListener('abort', onA);
      b.removeEventListener('abort', onB);
    },
  };
}
