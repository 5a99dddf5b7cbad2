/** The request summary line of `djc status`; the `--json` job document is built in @djc/coordinator (shared with the HTTP API). */
import { requestsDocument } from '@djc/core/read';
import type { JobRecord } from '@djc/core';
// The price table only: importing the aws backend would load the AWS SDK (~1 s) for every status call.
import { estimateRequestCostUsd } from '@djc/core/backends/aws/prices';
import { groupDigits } from './group-digits.js';

const n = groupDigits;

export { statusDocument } from '@djc/coordinator/read';

/**
 * `requests 1,234 (DynamoDB 800, S3 300, SQS 134) · 2.1 per task · est. $0.0012`,
 * or null when the job has no counted requests (always, on the local backend).
 */
export function requestsLine(job: JobRecord): string | null {
  const doc = requestsDocument(job, estimateRequestCostUsd);
  if (!doc) return null;
  const byService = new Map<string, number>();
  for (const [op, count] of Object.entries(doc.byOperation)) {
    const service = op.split('.')[0] ?? op;
    byService.set(service, (byService.get(service) ?? 0) + count);
  }
  const services = [...byService].map(([s, count]) => `${s} ${n(count)}`).join(', ');
  const perTask = job.tasks.total > 0 ? ` · ${doc.perTask.toFixed(1)} per task` : '';
  return `requests ${n(doc.total)} (${services})${perTask} · est. $${formatUsd(doc.estimatedCostUsd)} (request charges, approx.)`;
}

/** Two significant digits, at least 2 decimals: $0.0012, $0.37, $12.00. */
function formatUsd(usd: number): string {
  if (usd >= 1 || usd === 0) return usd.toFixed(2);
  return usd.toFixed(Math.max(2, 1 - Math.floor(Math.log10(usd))));
}
