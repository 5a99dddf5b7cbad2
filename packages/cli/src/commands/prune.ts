import { parsePruneStatuses, pruneJobs, type PruneOutcome } from '@djc/coordinator';
import { DjcError, formatDuration } from '@djc/core';
import { withBackend, type Cli } from '../context.js';
import { measuredSize, table } from '../format.js';

export interface PruneCommandOptions {
  /** Milliseconds (durationOption); required. */
  olderThan?: number;
  status?: string[];
  dryRun?: boolean;
}

/**
 * `djc prune --older-than 30d [--status S…] [--dry-run]`: removes jobs that
 * ended before then from the local home (rows, blobs, worker logs); never a
 * job that has not ended. stdout: the jobs (a table, or --json); stderr: the
 * summary.
 */
export async function pruneCommand(cli: Cli, o: PruneCommandOptions): Promise<number> {
  if (o.olderThan === undefined) {
    throw new DjcError('USAGE', 'djc prune needs --older-than: how long ago a job must have ended to be removed', {
      hint: 'e.g. djc prune --older-than 30d --dry-run (then without --dry-run)',
    });
  }
  if (process.env.DJC_URL) {
    throw new DjcError('USAGE', 'djc prune works on the home itself, not over the API (DJC_URL is set)', {
      hint: 'run it where the home is, without DJC_URL (and with DJC_HOME or --home naming the home)',
    });
  }
  const statuses = o.status && o.status.length > 0 ? parsePruneStatuses(o.status) : undefined;
  const olderThan = o.olderThan;
  return withBackend(cli, async (backend) => {
    const outcome = await pruneJobs(backend, { olderThanMs: olderThan, statuses, dryRun: o.dryRun });
    if (cli.opts.json) {
      cli.json(outcome);
      return 0;
    }
    printOutcome(cli, outcome, olderThan, backend.location);
    return 0;
  });
}

function printOutcome(cli: Cli, r: PruneOutcome, olderThanMs: number, where: string): void {
  const verb = r.dryRun ? 'would remove' : 'removed';
  if (r.jobs.length === 0) {
    cli.err(`djc: no ended jobs older than ${formatDuration(olderThanMs)} (ended before ${r.endedBefore}) in ${where}`);
    return;
  }
  const runs = r.jobs.some((j) => j.stageRuns > 0);
  const rows = r.jobs.map((j) => [j.jobId, j.status, j.endedAt, measuredSize(j.bytes), ...(runs ? [String(j.stageRuns)] : [])]);
  cli.out(table(['JOB', 'STATUS', 'ENDED', 'SIZE', ...(runs ? ['STAGE RUNS'] : [])], rows));
  const jobs = r.jobs.length === 1 ? '1 job' : `${r.jobs.length} jobs`;
  cli.err(`djc: ${verb} ${jobs} that ended before ${r.endedBefore} (${measuredSize(r.bytes)} of blobs and worker logs) from ${where}`
    + (r.dryRun ? '; run again without --dry-run to remove them' : ''));
}
