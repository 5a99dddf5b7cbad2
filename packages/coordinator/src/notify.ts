import { dirname } from 'node:path';
import type { JobRecord, Logger } from '@djc/core';
import { initTracing, jobStatusDocument } from '@djc/core/submit';

/**
 * Fires the job's notifications for its final status. A failing webhook or
 * command is logged and never changes the job's outcome.
 */
export async function notifyJobEnd(job: JobRecord, log: Logger): Promise<void> {
  await recordJobSpan(job);
  const n = job.config.notification;
  const event = job.status.toLowerCase();
  if (!n || !(n.on as string[]).includes(event)) return;
  const doc = jobStatusDocument(job);
  const tasks: Promise<void>[] = [];
  if (n.webhook) tasks.push(postWebhook(n.webhook, doc, log, job.jobId));
  if (n.command) tasks.push(runCommand(n.command, job, log));
  await Promise.all(tasks);
}

async function postWebhook(url: string, doc: unknown, log: Logger, jobId: string): Promise<void> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'djc' },
      body: JSON.stringify(doc),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) log.warn({ jobId, url, status: res.status }, 'notification webhook answered with an error');
  } catch (e) {
    log.warn({ jobId, url, err: e }, 'notification webhook failed');
  }
}

async function runCommand(command: string, job: JobRecord, log: Logger): Promise<void> {
  // Loaded when a job has a notification command: execa is ~100 modules, and
  // every process that can end a job (djc submit, run, the daemon) imports this file.
  const { execa } = await import('execa');
  const r = await execa(command, {
    shell: true,
    cwd: dirname(job.configPath),
    reject: false,
    timeout: 60_000,
    env: {
      DJC_JOB_ID: job.jobId,
      DJC_JOB_NAME: job.name,
      DJC_JOB_STATUS: job.status,
      DJC_OUTPUT_PATH: job.outputPath ?? '',
    },
  });
  if (r.exitCode !== 0) log.warn({ jobId: job.jobId, command, exitCode: r.exitCode, stderr: r.stderr.slice(-500) }, 'notification command failed');
}

/**
 * The job's root span (tracing on): from its submission until the
 * coordinator is done with it; its prepare, attempt and finalize spans are
 * its children. It ends now, not at the record's endedAt: finalize writes
 * endedAt inside its own span, which ends a few ms later, and a parent that
 * ends before its child draws wrong in every trace viewer.
 */
async function recordJobSpan(job: JobRecord): Promise<void> {
  const t = await initTracing('djc');
  if (!t.enabled) return;
  const end = Math.max(Date.now(), job.endedAt === null ? 0 : Date.parse(job.endedAt));
  const attrs = { 'djc.job_name': job.name, 'djc.status': job.status, 'djc.kind': job.kind, 'djc.tasks': job.tasks.total };
  t.recordJobSpan(job.jobId, attrs, Date.parse(job.createdAt), end, job.status === 'SUCCEEDED' ? undefined : job.error ?? job.status);
}
