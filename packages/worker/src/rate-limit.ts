import type { JobConfig, StateStore } from '@djc/core';

/**
 * Waits for this worker's turn to start a batch of a job with
 * `handler.rate_limit: { calls, per }`: reserves the job's next start slot
 * (StateStore.reserveRateSlot, shared by every worker of the job, slots
 * per/calls apart) and sleeps until it. Called before the task is claimed
 * RUNNING (or, held CLAIMED, before its start is written), so a task waiting
 * for its slot never looks running. No-op without a rate limit.
 */
export async function waitForStartSlot(state: StateStore, jobId: string, config: JobConfig): Promise<void> {
  const limit = config.handler.rate_limit;
  if (!limit) return;
  const slot = await state.reserveRateSlot(jobId, limit.per / limit.calls, Date.now());
  const wait = slot - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
