import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DjcError, homeModes } from '@djc/core';
import { renderReportHtml, resolveJob, runReport } from '@djc/coordinator';
import { withBackend, type Cli } from '../context.js';

/**
 * `djc report [JOB] [-o FILE] [--max-tasks N]`: the run report, one
 * self-contained HTML file (default ./djc-report-JOB.html; "-" writes it to
 * stdout); the figures come from at most N tasks per job. Prints the
 * file's path (under --json: { path, jobId, bytes }).
 */
export async function reportCommand(cli: Cli, ref: string | undefined, o: { output?: string; maxTasks?: number }): Promise<number> {
  return withBackend(cli, async (backend) => {
    const job = await resolveJob(backend, ref);
    const limits = o.maxTasks === undefined ? {} : { tasksRead: o.maxTasks };
    const html = await renderReportHtml(await runReport(backend, job, { limits }));
    if (o.output === '-') {
      process.stdout.write(html);
      return 0;
    }
    const path = resolve(o.output ?? `djc-report-${job.jobId}.html`);
    await writeFile(path, html, { mode: homeModes().file }).catch((e: NodeJS.ErrnoException) => {
      throw new DjcError('USAGE', `cannot write the report to ${path}: ${e.code ?? e.message}`, { hint: 'give a writable file with -o FILE' });
    });
    const sections = job.kind === 'pipeline' ? 'one section per stage run' : 'one job';
    if (cli.opts.json) cli.json({ path, jobId: job.jobId, bytes: Buffer.byteLength(html) });
    else {
      cli.out(path);
      cli.err(`djc: wrote the report of ${job.jobId} (${sections}) to ${path}; open it in a browser`);
    }
    return 0;
  });
}
