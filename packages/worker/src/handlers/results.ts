import type { FailureKind } from '@djc/core';
import { isDjcError } from '@djc/core/errors';
import type { AttemptFailure } from './types.js';

/** A failed attempt; retryable unless said otherwise. */
export function failed(
  failure: FailureKind, error: string, log: string, opts: { retryable?: boolean; exitCode?: number | null } = {},
): AttemptFailure {
  return { ok: false, failure, error, exitCode: opts.exitCode ?? null, retryable: opts.retryable ?? true, log };
}

/** A DjcError's message with its hint ("… (fix …)"), for an attempt's error line; other errors' messages as they are. */
export function errorText(e: unknown): string {
  if (isDjcError(e)) return e.hint ? `${e.message} (${e.hint})` : e.message;
  return e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
}

/** Why an AbortSignal fired, as a few words for "attempt aborted: …". */
export function reasonText(reason: unknown): string {
  if (reason === undefined) return 'aborted';
  if (reason instanceof Error) return reason.message;
  return String(reason);
}

/** setTimeout fires at once for delays past 2^31-1 ms (~24.8 days); clamp to that. */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), 2 ** 31 - 1);
}
