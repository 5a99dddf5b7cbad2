/**
 * `djc logs` over the API. One task followed: the API's own stream
 * (`?follow=true`, the text `djc logs -f --task N` prints). Otherwise the
 * attempts' logs come as JSON pages (`GET /v1/jobs/{job}/logs`) with the
 * task pages beside them, and are replayed into the same sinks as the
 * local path (attemptReplay mirrors TaskLogReader): the same text. A job
 * followed re-reads its log pages each round (the API has no offsets).
 */
import { pipeline } from 'node:stream/promises';
import { DjcError, EXIT, TERMINAL_JOB, type JobStatusDocument, type TaskDocument } from '@djc/core';
import { prefixSink, sectionSink, type LogSink } from '@djc/coordinator';
import type { Cli } from '../context.js';
import { interruptible, pause } from '../watch-job.js';
import type { RemoteJobService } from './remote-job-service.js';
import { attemptReplay, type TaskLogs } from './attempt-replay.js';

const FOLLOW_EVERY_MS = 1000;
const PAGE = 1000;

const ended = (status: string) => (TERMINAL_JOB as ReadonlySet<string>).has(status);
const write = (text: string) => void process.stdout.write(text);

export async function remoteLogs(cli: Cli, jobs: RemoteJobService, ref: string | undefined, o: { task?: number; workers?: boolean; follow?: boolean }): Promise<number> {
  if (o.workers) throw new DjcError('USAGE', `--workers reads the worker processes' log files on the coordinator's host; the API (${jobs.where}) does not serve them`, { hint: 'run djc logs --workers on that host' });
  const job = await jobs.api.json<JobStatusDocument>('GET', `/v1/jobs/${encodeURIComponent(ref ?? 'last')}`);
  const base = `/v1/jobs/${encodeURIComponent(job.jobId)}`;
  if (o.task !== undefined) {
    const task = await taskOf(jobs, base, o.task);
    if (cli.opts.json) {
      cli.json(await jobs.api.json('GET', `${base}/tasks/${o.task}/logs`));
      return 0;
    }
    if (o.follow) {
      if (task.attempts === 0) cli.err(`djc: task ${o.task} has not started yet (${task.status}); waiting for it`);
      return interruptible(async (signal) => {
        try {
          await pipeline(await jobs.api.send('GET', `${base}/tasks/${o.task}/logs`, { query: { follow: true }, signal, headers: { accept: 'text/plain' } }), process.stdout, { end: false });
          return EXIT.OK;
        } catch (e) {
          if (signal.aborted) return EXIT.INTERRUPTED;
          throw e;
        }
      });
    }
    if (task.attempts === 0) cli.err(`task ${o.task} has not run yet (${task.status})`);
    const sink = sectionSink(write);
    attemptReplay(sink).read([task], await logsOf(jobs, base, [task]), false);
    sink.close();
    return 0;
  }
  if (cli.opts.json) {
    const tasks = await pages<{ taskId: number; attempts: { attempt: number; text: string }[] }>(jobs, `${base}/logs`, 'tasks');
    cli.json({ jobId: job.jobId, tasks: tasks.filter((t) => t.attempts.length > 0) });
    return 0;
  }
  const sink = prefixSink(write, job.tasks.total);
  const replay = attemptReplay(sink);
  if (!o.follow) {
    const tasks = await pages<TaskDocument>(jobs, `${base}/tasks`, 'tasks');
    replay.read(tasks, await logsOf(jobs, base, tasks), ended(job.status));
    sink.close();
    return 0;
  }
  return followJob(jobs, base, replay, sink);
}

async function followJob(jobs: RemoteJobService, base: string, replay: ReturnType<typeof attemptReplay>, sink: LogSink): Promise<number> {
  return interruptible(async (signal) => {
    for (;;) {
      const done = ended((await jobs.api.json<JobStatusDocument>('GET', base)).status);
      const tasks = await pages<TaskDocument>(jobs, `${base}/tasks`, 'tasks');
      replay.read(tasks, await logsOf(jobs, base, tasks), done);
      if (done) {
        sink.close();
        return EXIT.OK;
      }
      await pause(Math.max(FOLLOW_EVERY_MS, tasks.length), signal);
      if (signal.aborted) {
        sink.close();
        return EXIT.INTERRUPTED;
      }
    }
  });
}

async function taskOf(jobs: RemoteJobService, base: string, taskId: number): Promise<TaskDocument> {
  const page = await jobs.api.json<{ tasks: TaskDocument[] }>('GET', `${base}/tasks`, { query: { limit: 1, ...(taskId > 0 ? { cursor: String(taskId - 1) } : {}) } });
  const task = page.tasks[0];
  if (!task || task.taskId !== taskId) throw new DjcError('NOT_FOUND', `job ${base.slice(9)} has no task ${taskId}`, { hint: `djc tasks ${base.slice(9)} lists its tasks` });
  return task;
}

/** The logs of these tasks: one task's route, or the job's log pages. */
async function logsOf(jobs: RemoteJobService, base: string, tasks: readonly TaskDocument[]): Promise<Map<number, TaskLogs>> {
  if (tasks.length === 1 && tasks[0]) {
    const one = await jobs.api.json<TaskLogs>('GET', `${base}/tasks/${tasks[0].taskId}/logs`);
    return new Map([[one.taskId, one]]);
  }
  const all = await pages<TaskLogs>(jobs, `${base}/logs`, 'tasks');
  return new Map(all.map((t) => [t.taskId, t]));
}

async function pages<T>(jobs: RemoteJobService, path: string, key: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Record<string, unknown> = await jobs.api.json('GET', path, { query: { limit: PAGE, ...(cursor ? { cursor } : {}) } });
    out.push(...(page[key] as T[]));
    cursor = page.nextCursor as string | null;
  } while (cursor);
  return out;
}
