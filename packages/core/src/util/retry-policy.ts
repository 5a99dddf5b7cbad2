import type { FailureKind, JobConfig } from '../config/schema.js';

/**
 * Delay before attempt `attempt + 1`, after `attempt` attempts failed:
 * initial × multiplier^(attempt-1), capped at max, with "full jitter"
 * (uniform in [0, delay]) when enabled, so retries of many tasks spread out.
 */
export function backoffDelay(attempt: number, backoff: JobConfig['retry']['backoff'], random: () => number = Math.random): number {
  const exp = backoff.initial * backoff.multiplier ** Math.max(0, attempt - 1);
  const capped = Math.min(backoff.max, exp);
  return Math.round(backoff.jitter ? capped * random() : capped);
}

export interface FailureFacts {
  kind: FailureKind;
  exitCode: number | null;
  /** False when the handler said so (`retryable: false`) or the input is bad. */
  retryable: boolean;
  /** Attempts used within the current retry budget (attempts - attemptFloor). */
  attemptsUsed: number;
}

/** Whether a failed attempt gets another try under the job's retry settings. */
export function shouldRetry(retry: JobConfig['retry'], f: FailureFacts): boolean {
  if (!f.retryable) return false;
  if (f.attemptsUsed >= retry.max_attempts) return false;
  if (!retry.retry_on.includes(f.kind)) return false;
  if (f.kind === 'exit_code' && f.exitCode !== null && retry.non_retryable_exit_codes.includes(f.exitCode)) return false;
  return true;
}
