import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DjcError, EXIT, TERMINAL_JOB, type Backend, type TaskRecord } from '@djc/core';
import { jsonSink, mustGetJob, prefixSink, resolveJob, sectionSink, TaskLogReader, type LogSink } from '@djc/coordinator';
import { withJobs, type Cli } from '../context.js';
import type { LocalJobService } from '../local-job-service.js';
import { RemoteJobService } from '../remote/remote-job-service.js';
import { interruptible, pause } from '../watch-job.js';

export interface LogsOptions {
  task?: number;
  workers?: boolean;
  follow?: boolean;
}

/** How often `-f` reads a task's log (and the job's tasks): every second, slower for jobs of thousands of tasks. */
const FOLLOW_EVERY_MS = 1000;

/**
 * `djc logs JOB --task N`: every attempt's log; without `--task`, every
 * task's, each line prefixed with its task id; `--workers`: the worker
 * processes' own logs. `-f` follows, like `kubectl logs -f`: it prints what
 * exists, then new text as attempts write it, through retries, and exits 0
 * when the task (or, without --task, the job) has ended; Ctrl-C exits 130.
 */
export async function logsCommand(cli: Cli, ref: string | undefined, o: LogsOptions): Promise<number> {
  if (o.follow && (cli.opts.json || o.workers)) {
    throw new DjcError('USAGE', `-f follows task logs as text; it does not go with ${cli.opts.json ? '--json' : '--workers'}`);
  }
  return withJobs(cli, async (jobs) => {
    if (jobs instanceof RemoteJobService) return (await import('../remote/remote-logs.js')).remoteLogs(cli, jobs, ref, o);
    const backend = await (jobs as LocalJobService).backend();
    const { jobId } = await resolveJob(backend, ref);
    if (o.workers) return workerLogs(cli, jobId);
    if (o.task !== undefined) return taskLogs(cli, backend, jobId, await mustGetTask(backend, jobId, o.task), o.follow === true);
    return jobLogs(cli, backend, jobId, o.follow === true);
  });
}

async function mustGetTask(backend: Backend, jobId: string, taskId: number): Promise<TaskRecord> {
  const task = await backend.state.getTask(jobId, taskId);
  if (!task) throw new DjcError('NOT_FOUND', `job ${jobId} has no task ${taskId}`, { jobId, hint: `djc tasks ${jobId} lists its tasks` });
  return task;
}

async function taskLogs(cli: Cli, backend: Backend, jobId: string, first: TaskRecord, follow: boolean): Promise<number> {
  const { taskId } = first;
  if (cli.opts.json) {
    const sink = jsonSink();
    await new TaskLogReader(backend, jobId, sink).read([first], false);
    cli.json({ jobId, taskId, attempts: sink.tasks()[0]?.attempts ?? [] });
    return 0;
  }
  if (!follow) {
    if (first.attempts === 0) cli.err(`task ${taskId} has not run yet (${first.status})`);
    const sink = sectionSink(writeOut);
    await new TaskLogReader(backend, jobId, sink).read([first], false);
    sink.close();
    return 0;
  }
  if (first.attempts === 0) cli.err(`djc: task ${taskId} has not started yet (${first.status}); waiting for it`);
  return followLogs(sectionSink(writeOut), async (reader) => {
    const jobEnded = TERMINAL_JOB.has((await mustGetJob(backend, jobId)).status);
    const task = await mustGetTask(backend, jobId, taskId);
    return { done: await reader.read([task], jobEnded), everyMs: FOLLOW_EVERY_MS };
  }, backend, jobId);
}

async function jobLogs(cli: Cli, backend: Backend, jobId: string, follow: boolean): Promise<number> {
  const job = await mustGetJob(backend, jobId);
  if (cli.opts.json || !follow) {
    const json = cli.opts.json ? jsonSink() : null;
    const sink = json ?? prefixSink(writeOut, job.tasks.total);
    const reader = new TaskLogReader(backend, jobId, sink);
    const tasks = await backend.state.listTasks(jobId);
    await reader.know();
    await reader.read(tasks, TERMINAL_JOB.has(job.status));
    sink.close();
    if (json) cli.json({ jobId, tasks: json.tasks() });
    return 0;
  }
  let first = true;
  return followLogs(prefixSink(writeOut, job.tasks.total), async (reader) => {
    const jobEnded = TERMINAL_JOB.has((await mustGetJob(backend, jobId)).status);
    const tasks = await backend.state.listTasks(jobId);
    if (first) await reader.know();
    first = false;
    await reader.read(tasks, jobEnded);
    // Each round reads every task record: a millisecond per task between rounds keeps big jobs cheap.
    return { done: jobEnded, everyMs: Math.max(FOLLOW_EVERY_MS, tasks.length) };
  }, backend, jobId);
}

/** Rounds of `round` until it says done (exit 0), Ctrl-C (130), or stdout closes (a pager or `head` quit: 0). */
async function followLogs(
  sink: LogSink, round: (reader: TaskLogReader) => Promise<{ done: boolean; everyMs: number }>, backend: Backend, jobId: string,
): Promise<number> {
  const reader = new TaskLogReader(backend, jobId, sink);
  const closed = new AbortController();
  const onStdoutError = () => closed.abort();
  process.stdout.on('error', onStdoutError);
  try {
    return await interruptible(async (signal) => {
      for (;;) {
        const { done, everyMs } = await round(reader);
        if (done) {
          sink.close();
          return EXIT.OK;
        }
        await pause(everyMs, AbortSignal.any([signal, closed.signal]));
        if (closed.signal.aborted) return EXIT.OK;
        if (signal.aborted) {
          sink.close();
          return EXIT.INTERRUPTED;
        }
      }
    });
  } finally {
    process.stdout.off('error', onStdoutError);
  }
}

function writeOut(text: string): void {
  process.stdout.write(text);
}

async function workerLogs(cli: Cli, jobId: string): Promise<number> {
  const dir = join(cli.home, 'workers', jobId);
  const files = await readdir(dir).catch(() => [] as string[]);
  if (cli.opts.json) {
    cli.json({ jobId, workers: await Promise.all(files.map(async (f) => ({ file: join(dir, f), text: await readFile(join(dir, f), 'utf8') }))) });
    return 0;
  }
  if (files.length === 0) cli.err(`no worker logs for ${jobId} under ${dir}`);
  for (const f of files.sort()) {
    cli.out(`=== ${join(dir, f)} ===`);
    cli.out(await readFile(join(dir, f), 'utf8'));
  }
  return 0;
}
