import { DjcError } from '@djc/core';
import type { Cli } from '../context.js';

/** `djc setup aws`: create the table, bucket and queues if missing, and say what it did. */
export async function setupCommand(cli: Cli, which: string): Promise<number> {
  if (which !== 'aws') {
    throw new DjcError('USAGE', `nothing to set up for "${which}"`, { hint: 'djc setup aws (the local backend needs no set-up)' });
  }
  // Loaded here, not at start-up: the AWS SDK is slow to import.
  const { resolveAwsSettings, setupAws } = await import('@djc/core/backends/aws');
  const settings = resolveAwsSettings(cli.opts);
  const steps = await setupAws(settings);
  if (cli.opts.json) {
    cli.json({ backend: 'aws', steps });
    return 0;
  }
  for (const s of steps) cli.out(`${s.result.padEnd(8)} ${s.resource}`);
  const made = steps.filter((s) => s.result !== 'exists').length;
  cli.err(made === 0 ? 'djc: nothing to do: everything exists' : `djc: ${made} change${made === 1 ? '' : 's'}; use: DJC_BACKEND=aws DJC_TABLE=${settings.table} DJC_BUCKET=${settings.bucket} DJC_QUEUE=${settings.queue}`);
  return 0;
}
