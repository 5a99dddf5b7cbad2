import type { JobConfig, StateStore } from '@djc/core';

/** Times a late start may reserve again before it starts anyway (a machine too busy to keep any slot). */
const MAX_LATE_TRIES = 3;

/**
 * How long a reservation takes here (ms): rises at once to a slower round
 * trip, decays slowly. A reservation asks for a slot no earlier than now +
 * this, so an idle job's slot is still ahead when the reply arrives.
 */
let roundTrip = 0;

/**
 * How late past its slot a start may still go ahead: one interval, or 5% of
 * the period if that is longer. A start L late can put ceil(L / interval)
 * more starts in one period, so this keeps any window of `per` within
 * calls + max(1, 5% of calls).
 */
function lateTolerance(per: number, interval: number): number {
  return Math.max(interval, per / 20);
}

/**
 * Waits for this worker's turn to start a batch of a job with
 * `handler.rate_limit: { calls, per }`: reserves the job's next start slot
 * (StateStore.reserveRateSlot, shared by every worker of the job, slots
 * per/calls apart) and sleeps until it. Called before the task is claimed
 * RUNNING (or, held CLAIMED, before its start is written), so a task waiting
 * for its slot never looks running. A start later than lateTolerance past
 * its slot (a stalled process) gives the slot up and reserves again, so
 * slots missed never start together. No-op without a rate limit.
 */
export async function waitForStartSlot(state: StateStore, jobId: string, config: JobConfig): Promise<void> {
  const limit = config.handler.rate_limit;
  if (!limit) return;
  const interval = limit.per / limit.calls;
  const tolerance = lateTolerance(limit.per, interval);
  for (let tries = 0; ; tries++) {
    const asked = Date.now();
    const slot = await state.reserveRateSlot(jobId, interval, asked + Math.round(roundTrip));
    const took = Date.now() - asked;
    roundTrip = Math.max(took, roundTrip * 0.9 + took * 0.1);
    const wait = slot - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (Date.now() - slot <= tolerance || tries + 1 >= MAX_LATE_TRIES) return;
  }
}
