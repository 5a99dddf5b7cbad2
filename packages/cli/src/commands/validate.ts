import type { ConfigIssue, LoadedPipeline } from '@djc/core';
import { formatIssue, validateWorkflowFile } from '@djc/core/submit';
import type { Cli } from '../context.js';
import { pipelineSummary, printPipelineSummary } from './pipeline-summary.js';

/**
 * `djc validate`: every problem at once, each with its YAML path, line and
 * column; exit 2 if any. Takes a job file or a pipeline file (one with
 * `stages:`). Checks what the job (each stage) will run too: the handler
 * module and the reducer are loaded (in a child process) and a command's
 * program is looked up. Warnings (shown, exit 0) are what may work where
 * the workers run but not here.
 */
export async function validateCommand(cli: Cli, file: string, o: { set?: string[] }): Promise<number> {
  const res = await validateWorkflowFile(file, { set: o.set, checkHandlers: true });
  if (cli.opts.json) {
    if (!res.ok) cli.json({ valid: false, kind: res.kind, issues: res.issues, warnings: res.warnings });
    else if (res.workflow.kind === 'job') cli.json({ valid: true, kind: 'job', issues: [], warnings: res.warnings });
    else cli.json({ valid: true, kind: 'pipeline', pipeline: pipelineSummary(res.workflow.pipeline.spec), issues: [], warnings: res.warnings });
    return res.ok ? 0 : 2;
  }
  printWarnings(cli, res.warnings);
  if (!res.ok) {
    for (const issue of res.issues) cli.err(formatIssue(issue));
    cli.err(`${res.issues.length} problem${res.issues.length === 1 ? '' : 's'} in ${file}`);
    return 2;
  }
  if (res.workflow.kind === 'pipeline') {
    printValidPipeline(cli, file, res.workflow.pipeline);
    return 0;
  }
  const c = res.workflow.job.config;
  cli.out(`${file}: valid (job "${c.name}", ${c.input.format} input, ${c.handler.module ? 'module' : 'command'} handler, ${c.compute.workers} workers)`);
  return 0;
}

function printValidPipeline(cli: Cli, file: string, loaded: LoadedPipeline): void {
  const { spec } = loaded;
  const stages = spec.order.length;
  cli.out(`${file}: valid (pipeline "${spec.name}", ${stages} stage${stages === 1 ? '' : 's'}, ${spec.runs.length} run${spec.runs.length === 1 ? '' : 's'})`);
  printPipelineSummary(cli, spec);
}

/** "warning: job.yaml:9:3: handler.command: …" on stderr, one per warning. */
export function printWarnings(cli: Cli, warnings: readonly ConfigIssue[] | undefined): void {
  for (const w of warnings ?? []) cli.err(`warning: ${formatIssue(w)}`);
}
