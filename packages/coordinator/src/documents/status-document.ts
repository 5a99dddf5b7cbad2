/** The `--json` job document of status/run/wait/cancel (and of the HTTP API), with the request summary priced for AWS. */
import { jobStatusDocument, type JobRecord, type JobStatusDocument } from '@djc/core';
// The price table only: importing the aws backend would load the AWS SDK (~1 s) for every status call.
import { estimateRequestCostUsd } from '@djc/core/backends/aws/prices';

export function statusDocument(job: JobRecord): JobStatusDocument {
  return jobStatusDocument(job, estimateRequestCostUsd);
}
