import type { JobConfig, StateStore } from '@djc/core';

/** Times a late wake-up may re-reserve before it starts anyway (a machine too busy to keep any slot). */
const MAX_LATE_TRIES = 3;

/**
 * Waits for this worker's turn to start a batch of a job with
 * `handler.rate_limit: { calls, per }`: reserves the job's next start slot
 * (StateStore.reserveRateSlot, shared by every worker of the job, slots
 * per/calls apart) and sleeps until it. Called before the task is claimed
 * RUNNING (or, held CLAIMED, before its start is written), so a task waiting
 * for its slot never looks running. A wake-up later than one interval past
 * its slot (a stalled process) gives the slot up and reserves again, so
 * slots a process missed never start together. No-op without a rate limit.
 */
export async function waitForStartSlot(state: StateStore, jobId: string, config: JobConfig): Promise<void> {
  const limit = config.handler.rate_limit;
  if (!limit) return;
  const interval = limit.per / limit.calls;
  for (let tries = 0; ; tries++) {
    const slot = await state.reserveRateSlot(jobId, interval, Date.now());
    // Late from the slot, or from the reply if the slot had come already (a slow write is no stall).
    const due = Math.max(slot, Date.now());
    const wait = slot - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (Date.now() - due <= interval || tries + 1 >= MAX_LATE_TRIES) return;
  }
}
