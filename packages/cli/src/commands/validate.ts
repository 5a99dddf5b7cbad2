import { formatIssue, validateJobFile, type ConfigIssue } from '@djc/core';
import type { Cli } from '../context.js';

/**
 * `djc validate`: every problem at once, each with its YAML path, line and
 * column; exit 2 if any. Checks what the job will run too: the handler
 * module and the reducer are loaded (in a child process) and a command's
 * program is looked up. Warnings (shown, exit 0) are what may work where
 * the workers run but not here.
 */
export async function validateCommand(cli: Cli, file: string, o: { set?: string[] }): Promise<number> {
  const res = await validateJobFile(file, { set: o.set, checkHandlers: true });
  if (cli.opts.json) {
    cli.json(res.ok ? { valid: true, issues: [], warnings: res.warnings } : { valid: false, issues: res.issues, warnings: res.warnings });
    return res.ok ? 0 : 2;
  }
  printWarnings(cli, res.warnings);
  if (res.ok) {
    const c = res.job.config;
    cli.out(`${file}: valid (job "${c.name}", ${c.input.format} input, ${c.handler.module ? 'module' : 'command'} handler, ${c.compute.workers} workers)`);
    return 0;
  }
  for (const issue of res.issues) cli.err(formatIssue(issue));
  cli.err(`${res.issues.length} problem${res.issues.length === 1 ? '' : 's'} in ${file}`);
  return 2;
}

/** "warning: job.yaml:9:3: handler.command: …" on stderr, one per warning. */
export function printWarnings(cli: Cli, warnings: readonly ConfigIssue[] | undefined): void {
  for (const w of warnings ?? []) cli.err(`warning: ${formatIssue(w)}`);
}
