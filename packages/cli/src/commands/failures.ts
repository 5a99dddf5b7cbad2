import type { FailureReport } from '@djc/coordinator';
import { withJobs, type Cli } from '../context.js';
import { groupDigits } from '../group-digits.js';

/** `djc failures JOB`: the failed tasks grouped by error, largest group first, each with its last log line first. */
export async function failuresCommand(cli: Cli, ref: string | undefined): Promise<number> {
  return withJobs(cli, async (jobs) => {
    const report = await jobs.failures(ref);
    const { jobId } = report;
    if (cli.opts.json) cli.json(report);
    else if (report.groups.length === 0) cli.err(`djc: ${jobId} has no failed tasks${report.cancelled > 0 ? ` (${report.cancelled} cancelled)` : ''}`);
    else cli.out(formatFailures(report));
    return 0;
  });
}

const n = groupDigits;

export function formatFailures(r: FailureReport): string {
  const cancelled = r.cancelled > 0 ? `; ${n(r.cancelled)} cancelled (never finished)` : '';
  const lines = [`${n(r.failed)} failed task${r.failed === 1 ? '' : 's'}, ${r.groups.length} distinct error${r.groups.length === 1 ? '' : 's'}${cancelled}`];
  for (const g of r.groups) {
    const more = g.count > g.tasks.length ? ', …' : '';
    lines.push('', `${n(g.count)} task${g.count === 1 ? '' : 's'}: ${g.tasks.join(', ')}${more}`);
    if (g.lastLine !== null) lines.push(`  last line  ${g.lastLine}`);
    lines.push(`  error      ${g.example}`);
  }
  lines.push('', `next: djc logs ${r.jobId} --task ${r.groups[0]?.tasks[0] ?? 'N'}; re-run one group: djc retry ${r.jobId} --error 'REGEX'`);
  return lines.join('\n');
}
