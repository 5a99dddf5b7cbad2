import { loadPipelineFile, planPipeline } from '@djc/core';
import { withBackend, type Cli } from '../context.js';
import { renderPlan } from '../plan-render.js';
import { printWarnings } from './validate.js';

/**
 * `djc plan pipeline.yaml`: what a run would do, before anything runs: per
 * stage run, re-use an earlier run or run (and why), its batch count, the
 * sweep points. Reads the backend, writes nothing. Exit 0; 2 for an invalid
 * file (every issue listed).
 */
export async function planCommand(cli: Cli, file: string, o: { set?: string[]; fresh?: boolean }): Promise<number> {
  const loaded = await loadPipelineFile(file, { set: o.set });
  printWarnings(cli, loaded.warnings);
  const plan = await withBackend(cli, (backend) => planPipeline(backend, loaded.spec, { baseDir: loaded.baseDir, fresh: o.fresh === true }));
  if (cli.opts.json) cli.json({ file: loaded.configPath, ...plan });
  else cli.out(renderPlan(plan));
  return 0;
}
