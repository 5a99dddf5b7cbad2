import { queueJson } from '@djc/coordinator';
import { formatDuration } from '@djc/core';
import { withJobs, type Cli } from '../context.js';
import { formatQueue } from '../queue-view.js';

/**
 * `djc queue [--json]`: the queue as the coordinator last decided it (the
 * queue document). Says on stderr when no coordinator has written one, or
 * when it is stale (the coordinator has likely stopped).
 */
export async function queueCommand(cli: Cli): Promise<number> {
  return withJobs(cli, async (jobs) => {
    const { queue: doc, ageMs, stale, where } = await jobs.queue();
    if (!doc) cli.err(`djc: no queue yet: no coordinator has decided one in ${where} (start one with: djc coordinator)`);
    else if (stale) cli.err(`djc: this queue is stale: the coordinator last decided at ${doc.at}, ${formatDuration(ageMs ?? 0)} ago; is it still running? (djc coordinator)`);
    if (cli.opts.json) process.stdout.write(`${queueJson({ queue: doc, ageMs, stale }, 2)}\n`);
    else if (doc) cli.out(formatQueue(doc));
    return 0;
  });
}
