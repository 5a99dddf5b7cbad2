/**
 * What the event stream sends: job and task changes, found by reading the
 * backend every tick. Reads stay bounded by what is active, never by the
 * task table: the job records (one, or the newest page), and of a followed
 * job only its CLAIMED, RUNNING and RETRY_WAIT tasks (at most ACTIVE_LIMIT
 * each); a task that leaves that set is read once more to send how it
 * ended. A task that starts and ends between two ticks shows in the job's
 * counters only.
 */
import { TASK_COUNT_KEY, taskDocument, type Backend, type JobStatusDocument, type TaskCounts, type TaskDocument, type TaskStatus } from '@djc/core';
import { statusDocument } from '../documents/status-document.js';

export type ServiceEvent = { type: 'job'; data: JobStatusDocument } | { type: 'task'; data: TaskDocument & { jobId: string } };

const ACTIVE: readonly TaskStatus[] = ['CLAIMED', 'RUNNING', 'RETRY_WAIT'];
const ACTIVE_LIMIT = 1000;
const JOBS_LIMIT = 100;

export class JobWatch {
  private readonly jobs = new Map<string, string>();
  private readonly tasks = new Map<number, string>();

  constructor(private readonly backend: Backend, private readonly jobId: string | null) {}

  /** The changes since the last call (the first call: the current state of the jobs, and of the followed job's active tasks). */
  async changes(): Promise<ServiceEvent[]> {
    const out: ServiceEvent[] = [];
    const records = this.jobId === null ? await this.backend.state.listJobs({ limit: JOBS_LIMIT }) : [await this.backend.state.getJob(this.jobId)].filter((j) => j !== null);
    for (const job of records) {
      const doc = statusDocument(job);
      const seen = JSON.stringify([doc.status, doc.tasks, doc.records, doc.reason, doc.error]);
      if (this.jobs.get(job.jobId) === seen) continue;
      this.jobs.set(job.jobId, seen);
      out.push({ type: 'job', data: doc });
    }
    const followed = records[0];
    if (this.jobId !== null && followed) out.push(...(await this.taskChanges(this.jobId, followed.tasks)));
    return out;
  }

  /**
   * Only the statuses the job's counters say hold tasks are listed: listing
   * a status by task id scans the job's tasks (SQLite: ~0.4 s for a job of
   * 1,000,000 tasks), too much every second for a job that has none there.
   */
  private async taskChanges(jobId: string, counts: TaskCounts): Promise<ServiceEvent[]> {
    const out: ServiceEvent[] = [];
    const active = new Map<number, TaskDocument>();
    for (const status of ACTIVE) {
      if (counts[TASK_COUNT_KEY[status]] === 0) continue;
      for (const t of await this.backend.state.listTasks(jobId, { status, limit: ACTIVE_LIMIT })) active.set(t.taskId, taskDocument(t));
    }
    const send = (doc: TaskDocument) => {
      const seen = `${doc.status}/${doc.attempts}`;
      if (this.tasks.get(doc.taskId) === seen) return;
      this.tasks.set(doc.taskId, seen);
      out.push({ type: 'task', data: { jobId, ...doc } });
    };
    for (const doc of active.values()) send(doc);
    for (const taskId of [...this.tasks.keys()]) {
      if (active.has(taskId)) continue;
      const t = await this.backend.state.getTask(jobId, taskId);
      if (t) send(taskDocument(t));
      this.tasks.delete(taskId);
    }
    return out;
  }
}
