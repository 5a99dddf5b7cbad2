import { userInfo } from 'node:os';
import type { JobRecord } from '@djc/core';

/** Who submits a job: the OS user name (USER/LOGNAME when the OS cannot say, "unknown" at worst). */
export function submitterName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
}

/**
 * The owner the scheduler counts a job under (fair share, quotas): the value
 * of the label the daemon's settings name (`fair_share.owner_label`) when
 * the job has it, else the submitting user.
 */
export function schedulingOwner(job: JobRecord, ownerLabel: string | null): string {
  const labelled = ownerLabel === null ? undefined : job.config.labels[ownerLabel];
  return labelled ?? (job.owner || 'unknown');
}
