import { formatIssue, validateJobFile } from '@djc/core';
import type { Cli } from '../context.js';

/** `djc validate`: every problem at once, each with its YAML path, line and column; exit 2 if any. */
export async function validateCommand(cli: Cli, file: string, o: { set?: string[] }): Promise<number> {
  const res = await validateJobFile(file, { set: o.set });
  if (cli.opts.json) {
    cli.json(res.ok ? { valid: true, issues: [] } : { valid: false, issues: res.issues });
    return res.ok ? 0 : 2;
  }
  if (res.ok) {
    const c = res.job.config;
    cli.out(`${file}: valid (job "${c.name}", ${c.input.format} input, ${c.handler.module ? 'module' : 'command'} handler, ${c.compute.workers} workers)`);
    return 0;
  }
  for (const issue of res.issues) cli.err(formatIssue(issue));
  cli.err(`${res.issues.length} problem${res.issues.length === 1 ? '' : 's'} in ${file}`);
  return 2;
}
