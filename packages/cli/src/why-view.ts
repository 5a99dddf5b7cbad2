/** Text of `--why` (the WhyDocument of @djc/coordinator): a table per task (`djc tasks --why`), a summary by reason (`djc status --why`). */
import { formatTaskRanges } from '@djc/core/read';
import type { TaskWhy, WhyDocument } from '@djc/coordinator';
import { table } from './format.js';

/** `djc tasks JOB --why`: the job-level reason (if any), then one row per task. */
export function formatWhyTable(doc: WhyDocument, tasks: readonly TaskWhy[] = doc.tasks): string {
  const lines = doc.job ? [`job ${doc.jobId}: ${doc.job.message}`] : [];
  lines.push(table(['TASK', 'STATUS', 'ATTEMPTS', 'WHY'], tasks.map((t) => [String(t.taskId), t.status, String(t.attempts), t.message])));
  return lines.join('\n');
}

/** `djc status JOB --why`: the unfinished tasks grouped by reason, largest group first, with the first task's words. */
export function formatWhySummary(doc: WhyDocument): string {
  const u = doc.unfinished;
  const total = u.pending + u.retrying + u.claimed + u.running;
  if (total === 0) return `Why not running: ${doc.job ? doc.job.message : `no unfinished task (the job is ${doc.status})`}`;
  const lines = [`Why not running (${total} unfinished ${total === 1 ? 'task' : 'tasks'}${doc.truncated ? `, the first ${doc.tasks.length} read` : ''}):`];
  if (doc.job) lines.push(`  job: ${doc.job.message}`);
  const groups = new Map<string, TaskWhy[]>();
  for (const t of doc.tasks) groups.set(t.code, [...(groups.get(t.code) ?? []), t]);
  for (const group of [...groups.values()].sort((a, b) => b.length - a.length)) {
    const first = group[0] as TaskWhy;
    const n = group.length;
    const ids = formatTaskRanges(group.map((t) => t.taskId), 60);
    const example = n === 1 ? first.message : `e.g. task ${first.taskId}: ${first.message}`;
    lines.push(`  ${n} ${n === 1 ? 'task' : 'tasks'} (${ids}) ${first.code}: ${example}`);
  }
  return lines.join('\n');
}
