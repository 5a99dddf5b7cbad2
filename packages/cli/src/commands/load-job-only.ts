import { DjcError, loadWorkflowFile, type LoadedJob, type LoadOptions } from '@djc/core';

/**
 * Loads the file `djc run` / `submit` was given: a job file as before; a
 * pipeline file (one with `stages:`) is validated in full, then refused
 * until pipelines can run (the runner is wired on another branch).
 */
export async function loadJobOnly(file: string, opts: LoadOptions): Promise<LoadedJob> {
  const loaded = await loadWorkflowFile(file, opts);
  if (loaded.kind === 'job') return loaded.job;
  const { spec } = loaded.pipeline;
  throw new DjcError('USAGE', `${file} is a pipeline ("${spec.name}", ${spec.order.length} stages, ${spec.runs.length} runs): running pipelines is not available yet in this build`, {
    hint: `"djc validate ${file}" checks it and shows its stages; run each stage as a job file meanwhile`,
  });
}
