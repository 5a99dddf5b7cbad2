import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blobKeys, DjcError } from '@djc/core';
import { resolveJob } from '@djc/coordinator';
import { withBackend, type Cli } from '../context.js';

/** `djc logs JOB --task N`: every attempt's log; `--workers`: the worker processes' own logs. */
export async function logsCommand(cli: Cli, ref: string | undefined, o: { task?: number; workers?: boolean }): Promise<number> {
  return withBackend(cli, async (backend) => {
    const { jobId } = await resolveJob(backend, ref);
    if (o.workers) return workerLogs(cli, jobId);
    if (o.task === undefined) throw new DjcError('USAGE', 'say which logs: --task N (a task\'s attempts) or --workers', { jobId });
    const taskId = o.task;
    const task = await backend.state.getTask(jobId, taskId);
    if (!task) throw new DjcError('NOT_FOUND', `job ${jobId} has no task ${o.task}`, { jobId, hint: `djc tasks ${jobId} lists its tasks` });
    const logs: { attempt: number; text: string }[] = [];
    for (let a = 1; a <= task.attempts; a++) {
      const buf = await backend.blobs.get(blobKeys.log(jobId, taskId, a));
      logs.push({ attempt: a, text: buf ? buf.toString('utf8') : '' });
    }
    if (cli.opts.json) {
      cli.json({ jobId, taskId, attempts: logs });
      return 0;
    }
    if (logs.length === 0) cli.err(`task ${taskId} has not run yet (${task.status})`);
    for (const l of logs) {
      cli.out(`=== task ${taskId} attempt ${l.attempt} ===`);
      cli.out(l.text.length > 0 ? l.text : '(no log output)');
    }
    return 0;
  });
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
