import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { capText, DjcError, type JobRecord, type Logger } from '@djc/core';

/** How much of the command's stderr is kept for the job's error. */
const STDERR_TAIL_CHARS = 16 * 1024;

type Ending = { code: number | null; signal: NodeJS.Signals | null } | { error: Error };

/**
 * `output.reduce_command`: runs the command (/bin/sh -c, in the job file's
 * directory, DJC_JOB_ID and DJC_JOB_NAME set) with `outputs` — the batch
 * outputs concatenated in batch order — on its stdin. Returns its stdout, the
 * job result; the command starts when the result is first read, and the
 * result ends only once the command has exited 0. A non-zero exit or a
 * signal fails the result with a DjcError HANDLER_FAILED quoting the last
 * lines of stderr (so no result is written); a command that exits 0 without
 * reading all of its stdin is fine. If the reader goes away first, the
 * command is killed.
 */
export function reduceWithCommand(command: string, job: JobRecord, outputs: Readable, log: Logger): Readable {
  return Readable.from(runReducer(command, job, outputs, log), { objectMode: false });
}

async function* runReducer(command: string, job: JobRecord, outputs: Readable, log: Logger): AsyncGenerator<Buffer> {
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: dirname(job.configPath),
    env: { ...process.env, DJC_JOB_ID: job.jobId, DJC_JOB_NAME: job.name },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const ended = new Promise<Ending>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
    child.on('error', (error) => resolve({ error }));
  });
  let stderr = '';
  let inputError: Error | undefined;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  // The command may stop reading (e.g. `head -n1`): EPIPE on its stdin is not an error.
  child.stdin.on('error', () => undefined);
  outputs.on('error', (e) => {
    inputError = e;
    child.kill('SIGTERM');
  });
  outputs.pipe(child.stdin);
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const end = await ended;
    if (inputError) throw inputError;
    if ('error' in end) throw new DjcError('HANDLER_FAILED', `output.reduce_command could not start: ${end.error.message}`, { jobId: job.jobId, cause: end.error });
    if (end.code === 0) return;
    const how = end.signal ? `was killed by ${end.signal}` : `exited with code ${end.code}`;
    log.debug({ jobId: job.jobId, command, code: end.code, signal: end.signal, stderr }, 'output.reduce_command failed');
    throw new DjcError('HANDLER_FAILED', `output.reduce_command ${how}: ${lastLines(stderr)}`, {
      jobId: job.jobId, hint: `run it by hand on the outputs: djc results ${job.jobId} --task N shows one`,
    });
  } finally {
    outputs.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The last 5 non-empty lines of stderr, joined by " | ", or "(no stderr)". */
function lastLines(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0).slice(-5);
  return lines.length > 0 ? lines.map((l) => capText(l, 500)).join(' | ') : '(no stderr)';
}
