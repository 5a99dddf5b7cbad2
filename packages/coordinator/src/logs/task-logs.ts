/**
 * Reads the logs of a job's attempts and hands a sink what is new since the
 * last read. A running attempt's log is rewritten whole while it grows
 * (the worker's log-stream.ts); logDelta turns two snapshots into the text
 * between them, the log cap (head, omitted line, rolling tail) included.
 */
import { blobKeys, TERMINAL_TASK, type Backend, type TaskRecord, type TaskStatus } from '@djc/core';
// The one function, not the worker's index (which loads the whole worker).
import { logDelta } from '@djc/worker/log-delta';

export interface LogSink {
  /** First sight of an attempt (its log may still be empty). */
  begin(taskId: number, attempt: number): void;
  text(taskId: number, attempt: number, text: string): void;
  /** The attempt has ended and its final log was read; `empty`: it logged nothing. */
  end(taskId: number, attempt: number, empty: boolean): void;
  /** Nothing more comes: attempts still running stay as they are. */
  close(): void;
}

/** Statuses in which the task's latest attempt is over. Anything else (RUNNING) may still write. */
const ATTEMPT_OVER: ReadonlySet<TaskStatus> = new Set(['PENDING', 'RETRY_WAIT', ...TERMINAL_TASK]);
/** Log reads in flight at once. */
const READS_AT_ONCE = 8;

interface AttemptLog {
  shown: string;
  ended: boolean;
}

interface Read {
  taskId: number;
  attempt: number;
  state: AttemptLog;
  /** The first read of this attempt: the sink hears of it first. */
  first: boolean;
  ends: boolean;
  /** False when the log is known to be absent (a finished attempt that wrote none). */
  fetch: boolean;
}

export class TaskLogReader {
  private readonly attempts = new Map<string, AttemptLog>();
  /** Log keys that existed when the attempts seen first were already over (see `know`). */
  private existing: Set<string> | null = null;

  constructor(private readonly backend: Backend, private readonly jobId: string, private readonly sink: LogSink) {}

  /**
   * The job's log keys, listed after the task records that will be read
   * next: an attempt over in those records has its final log among them,
   * or has none, which saves a read per silent task of a big job.
   */
  async know(): Promise<void> {
    this.existing = new Set(await this.backend.blobs.list(`jobs/${this.jobId}/logs/`));
  }

  /**
   * Reads what is new in the attempts of `tasks` (records read before this
   * call: a stored final log precedes the record that says its attempt is
   * over) and hands it to the sink in task order. `jobEnded`: the job had
   * ended before these records were read, so every attempt is over.
   * Returns true when every attempt of every task is over and read.
   */
  async read(tasks: readonly TaskRecord[], jobEnded: boolean): Promise<boolean> {
    const reads = tasks.flatMap((t) => this.plan(t, jobEnded));
    this.existing = null;
    for (let i = 0; i < reads.length; i += READS_AT_ONCE) {
      const batch = reads.slice(i, i + READS_AT_ONCE);
      const texts = await Promise.all(batch.map((r) => (r.fetch ? this.fetch(r) : Promise.resolve(''))));
      batch.forEach((r, j) => this.apply(r, texts[j] ?? ''));
    }
    return tasks.every((t) => (jobEnded || TERMINAL_TASK.has(t.status)) && this.allEnded(t));
  }

  private plan(task: TaskRecord, jobEnded: boolean): Read[] {
    const reads: Read[] = [];
    for (let attempt = 1; attempt <= task.attempts; attempt++) {
      const id = `${task.taskId}.${attempt}`;
      const known = this.attempts.get(id);
      const state = known ?? { shown: '', ended: false };
      if (!known) this.attempts.set(id, state);
      if (state.ended) continue;
      const ends = jobEnded || attempt < task.attempts || ATTEMPT_OVER.has(task.status);
      const key = blobKeys.log(this.jobId, task.taskId, attempt);
      const fetch = !(ends && this.existing !== null && !this.existing.has(key));
      reads.push({ taskId: task.taskId, attempt, state, first: !known, ends, fetch });
    }
    return reads;
  }

  private async fetch(r: Read): Promise<string> {
    const buf = await this.backend.blobs.get(blobKeys.log(this.jobId, r.taskId, r.attempt));
    return buf ? buf.toString('utf8') : '';
  }

  private apply(r: Read, next: string): void {
    if (r.first) this.sink.begin(r.taskId, r.attempt);
    const delta = logDelta(r.state.shown, next);
    if (delta !== '') {
      this.sink.text(r.taskId, r.attempt, delta);
      r.state.shown = next;
    }
    if (r.ends) {
      r.state.ended = true;
      this.sink.end(r.taskId, r.attempt, r.state.shown === '');
    }
  }

  private allEnded(task: TaskRecord): boolean {
    for (let a = 1; a <= task.attempts; a++) if (!this.attempts.get(`${task.taskId}.${a}`)?.ended) return false;
    return true;
  }
}
