/** The inline output of a completion, checked the same way by both backends. */
import { DjcError } from '../errors.js';
import { MAX_INLINE_OUTPUT_BYTES, type TaskOutcome } from '../ports/state-store.js';

/**
 * The bytes a SUCCEEDED outcome carries inline, or null (a blob key, or
 * not SUCCEEDED). Throws DjcError INTERNAL, before anything is written, for
 * one over MAX_INLINE_OUTPUT_BYTES or one that names a blob key as well:
 * the worker decides, so either is a bug.
 */
export function checkedInlineOutput(outcome: TaskOutcome, at: { jobId: string; taskId: number }): Uint8Array | null {
  if (outcome.status !== 'SUCCEEDED' || outcome.inlineOutput === undefined) return null;
  const { jobId, taskId } = at;
  if (outcome.outputKey !== undefined) {
    throw new DjcError('INTERNAL', `task ${taskId} of job ${jobId}: an outcome has an output key and an inline output`, { jobId, taskId });
  }
  const bytes = outcome.inlineOutput.byteLength;
  if (bytes > MAX_INLINE_OUTPUT_BYTES) {
    throw new DjcError('INTERNAL', `task ${taskId} of job ${jobId}: an inline output of ${bytes} bytes exceeds ${MAX_INLINE_OUTPUT_BYTES}`, {
      jobId, taskId, hint: 'store the output as a blob and pass its key',
    });
  }
  return outcome.inlineOutput;
}
