/**
 * Hand-off between stages (issue 10 §3): when a stage run becomes ready, its
 * config's input is set from its upstreams' results in the blob store (every
 * stage run writes one there, see aggregate.ts): `input.path` becomes the
 * results' locations (BlobStore.locate: files under the home, or s3:// URLs;
 * several upstreams and sweep points in the order listed), `input.format`
 * defaults from what the upstream produced, and `${stages.X.output}` in a
 * command is replaced by X's location(s). Then the run is prepared like any
 * job, so stages may run on different machines and dispatchers.
 */
import { blobKeys, fillStageOutputs, shellQuote, type Backend, type JobConfig, type JobRecord } from '@djc/core';

/** The run's config with its input taken from the `from` stages' succeeded runs. */
export async function handOffConfig(backend: Backend, run: JobRecord, runs: readonly JobRecord[], from: readonly string[], format: string | null): Promise<JobConfig> {
  // N to N streams from a run still under way: its result's location is where the whole output will be.
  const usable = (r: JobRecord) => r.status === 'SUCCEEDED' || r.jobId === run.stage?.streamFrom;
  const byStage = new Map(from.map((s) => [s, runs.filter((r) => r.stage?.name === s && usable(r))]));
  const paths = from.flatMap((s) => (byStage.get(s) ?? []).map((r) => backend.blobs.locate(blobKeys.result(r.jobId))));
  const first = from.map((s) => byStage.get(s)?.[0]).find((r) => r !== undefined);
  const input = {
    ...run.config.input,
    path: paths.length === 1 ? paths[0]! : paths,
    format: (format ?? (first ? await formatOf(backend, first) : run.config.input.format)) as JobConfig['input']['format'],
  };
  // ${stages.X.output}: X's result location(s) (a sweep's points, space-separated), quoted for a shell.
  const located = (stage: string) => runs.filter((r) => r.stage?.name === stage && r.status === 'SUCCEEDED')
    .map((r) => shellQuote(backend.blobs.locate(blobKeys.result(r.jobId)))).join(' ');
  return fillStageOutputs({ ...run.config, input }, located);
}

/** The format a downstream reads an upstream's result in: JSON lines unless it produced raw text (or a reduce command did). */
async function formatOf(backend: Backend, upstream: JobRecord): Promise<string> {
  const out = upstream.config.output;
  if (out.reduce_command) return 'text';
  if (out.reduce) return 'jsonl';
  if (upstream.status !== 'SUCCEEDED') return upstream.config.handler.command ? 'text' : 'jsonl';
  const [task] = await backend.state.listTasks(upstream.jobId, { status: 'SUCCEEDED', limit: 1 });
  return task?.outputKind === 'raw' ? 'text' : 'jsonl';
}
