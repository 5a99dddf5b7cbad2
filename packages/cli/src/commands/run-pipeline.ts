/**
 * `djc run pipeline.yaml`: the pipeline is coordinated in this process
 * (stage runs concurrently as they become ready, each with its own local
 * workers), with a line on stderr whenever a stage run changes status, the
 * stage table on stdout at the end, and exit 0 if it SUCCEEDED, else 1.
 * Ctrl-C cancels the pipeline (exit 130). Run again on an unfinished
 * pipeline, it resumes it from its records.
 */
import type { Backend, JobRecord } from '@djc/core';
import { cancelPipeline, coordinatePipeline, coordinatorName } from '@djc/coordinator';
import type { Cli } from '../context.js';
import { scheduledDispatcherFor } from '../dispatch-context.js';
import { formatPipelineStatus, pipelineDocument } from '../pipeline-view.js';
import { STOP_GRACE_MS } from './run.js';

export async function coordinatePipelineHere(cli: Cli, backend: Backend, pipelineId: string, o: { fresh?: boolean } = {}): Promise<number> {
  const stop = new AbortController();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    interrupted = true;
    cli.err(`\ndjc: interrupted; cancelling pipeline ${pipelineId}`);
    void cancelPipeline(backend, pipelineId, cli.log).catch(() => undefined).finally(() => {
      stop.abort(new Error('cancelled by the user'));
      setTimeout(() => process.kill(process.pid, signal), STOP_GRACE_MS).unref();
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const seen = new Map<string, string>();
  let last: { pipeline: JobRecord; runs: readonly JobRecord[] } | null = null;
  const scheduled = scheduledDispatcherFor(cli, backend);
  try {
    const final = await coordinatePipeline(backend, pipelineId, {
      dispatcher: scheduled.dispatcher, log: cli.log, owner: coordinatorName('djc run'), signal: stop.signal, fresh: o.fresh === true,
      onSnapshot: (pipeline, runs) => {
        last = { pipeline, runs };
        if (!cli.opts.json) reportChanges(cli, runs, seen);
      },
    });
    const runs = last === null ? await backend.state.listJobs({ parentId: pipelineId }) : (last as { runs: readonly JobRecord[] }).runs;
    if (cli.opts.json) cli.json(pipelineDocument(final, runs));
    else cli.out(formatPipelineStatus(final, runs));
    if (interrupted) return 130;
    return final.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    await scheduled.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** "djc: reviews.stats RUNNING", "djc: reviews.report SKIPPED: upstream stats FAILED": one line per change. */
function reportChanges(cli: Cli, runs: readonly JobRecord[], seen: Map<string, string>): void {
  for (const r of runs) {
    const key = r.status === 'WAITING' ? 'WAITING' : `${r.status}|${r.reason ?? ''}`;
    if (seen.get(r.jobId) === key) continue;
    const first = !seen.has(r.jobId);
    seen.set(r.jobId, key);
    if (first && r.status === 'WAITING') continue;
    const tasks = r.tasks.total > 0 && (r.status === 'SUCCEEDED' || r.status === 'FAILED' || r.status === 'TIMEOUT') ? ` (${r.tasks.succeeded}/${r.tasks.total} tasks)` : '';
    cli.err(`djc: ${r.name} ${r.status}${tasks}${r.reason && r.status !== 'WAITING' ? `: ${r.reason}` : ''}`);
  }
}
