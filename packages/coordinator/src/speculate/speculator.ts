import { formatSpeculateAfter, type Backend, type JobRecord, type Logger, type SpeculationCounts, type TaskRecord } from '@djc/core';
import { stragglers, type RunningAttempt } from './stragglers.js';

/** Most tasks read per status and look (the tail of a job is short; a sample of the finished ones is enough). */
const READ_LIMIT = 1000;
/** The finished peers' durations are read again at most this often (ms), when more have finished. */
const PEERS_EVERY_MS = 5000;

/**
 * Speculative copies of a job's stragglers (compute.speculate), one look per
 * monitor tick: once no task waits to start, a running attempt slower than
 * the threshold is marked (StateStore.requestCopy, at most once per attempt)
 * and a copy message sent; a free worker runs the copy beside it and the
 * store's fencing lets the first commit win. The counts (copies asked for,
 * copies that won) are kept on the job record.
 */
export class Speculator {
  private counts: SpeculationCounts;
  /** Tasks with a copy asked for, until they end. */
  private readonly watched = new Set<number>();
  private durations: number[] = [];
  private peersAt = { succeeded: -1, at: 0 };

  constructor(private readonly backend: Backend, private readonly job: JobRecord, private readonly log: Logger) {
    this.counts = job.speculation ?? { copies: 0, won: 0 };
  }

  /** Null when the job does not speculate. */
  static for(backend: Backend, job: JobRecord, log: Logger): Speculator | null {
    return job.config.compute.speculate ? new Speculator(backend, job, log) : null;
  }

  /** Counts the copies that ended, then asks for new ones if the job is in its tail. */
  async tick(): Promise<void> {
    const before = JSON.stringify(this.counts);
    await this.settle();
    const job = await this.backend.state.getJob(this.job.jobId);
    const t = job?.tasks;
    if (job?.status === 'RUNNING' && !job.cancelRequested && t && t.pending + t.retrying + t.claimed === 0 && t.running > 0) {
      await this.copyStragglers(job);
    }
    if (JSON.stringify(this.counts) !== before) await this.backend.state.updateJob(this.job.jobId, { speculation: { ...this.counts } });
  }

  private async settle(): Promise<void> {
    for (const taskId of [...this.watched]) {
      const task = await this.backend.state.getTask(this.job.jobId, taskId);
      if (task?.status === 'RUNNING' && task.speculation !== 'won' && task.speculation !== 'lost') continue;
      this.watched.delete(taskId);
      const won = task?.speculation === 'won';
      if (won) this.counts.won += 1;
      this.log.info({ jobId: this.job.jobId, taskId, status: task?.status, speculation: task?.speculation }, won ? 'speculative copy won' : 'speculative copy ended without winning');
    }
  }

  private async copyStragglers(job: JobRecord): Promise<void> {
    const cfg = job.config.compute.speculate;
    if (!cfg) return;
    const now = Date.now();
    await this.readPeers(job, now);
    const running = await this.backend.state.listTasks(job.jobId, { status: 'RUNNING', limit: READ_LIMIT });
    const decision = stragglers(running.map(attemptOf), this.durations, cfg, now);
    if (!('thresholdMs' in decision)) return;
    for (const r of decision.copy) {
      if (!(await this.backend.state.requestCopy(job.jobId, r.taskId, r.attempt))) continue;
      await this.backend.queue.send([{ v: 1, jobId: job.jobId, taskId: r.taskId, copyOf: r.attempt }]);
      this.counts.copies += 1;
      this.watched.add(r.taskId);
      this.log.info({
        jobId: job.jobId, taskId: r.taskId, attempt: r.attempt, runningMs: now - r.startedAt,
        thresholdMs: Math.round(decision.thresholdMs), after: formatSpeculateAfter(cfg.after),
      }, 'speculative copy requested');
    }
  }

  /** The durations of (a sample of) the job's finished tasks, read again when more have finished. */
  private async readPeers(job: JobRecord, now: number): Promise<void> {
    if (job.config.compute.speculate?.after.kind !== 'percentile') return;
    const succeeded = job.tasks.succeeded;
    if (succeeded === this.peersAt.succeeded || now - this.peersAt.at < PEERS_EVERY_MS) return;
    const done = await this.backend.state.listTasks(job.jobId, { status: 'SUCCEEDED', limit: READ_LIMIT });
    this.durations = done.flatMap((t) => (t.startedAt && t.endedAt && !t.reusedFrom ? [Date.parse(t.endedAt) - Date.parse(t.startedAt)] : []));
    this.peersAt = { succeeded, at: now };
  }
}

function attemptOf(t: TaskRecord): RunningAttempt {
  return { taskId: t.taskId, attempt: t.attempts, startedAt: t.startedAt ? Date.parse(t.startedAt) : Date.now(), copied: t.speculation !== undefined };
}
