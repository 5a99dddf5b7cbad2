/**
 * The text formatters of the CLI (status, the progress bar, the outcome
 * line, a pipeline's stages) read job records; over the API the CLI has the
 * `djc status --json` document. This rebuilds the fields they read from it.
 * What the document does not carry: `input.on_bad_record` (bad records read
 * as skipped). NOTES.md has the debt: formatters over documents.
 */
import type { JobRecord, JobStatusDocument, PipelineGraph } from '@djc/core';
import type { JobDocument, PipelineStageDocument } from '@djc/coordinator';

export function jobView(doc: JobStatusDocument, stages?: readonly PipelineStageDocument[]): JobRecord {
  const { totalKnown: _known, ...records } = doc.records;
  const view = {
    jobId: doc.jobId, name: doc.name, status: doc.status, kind: doc.kind, parentId: doc.parentId,
    stage: doc.stage, reason: doc.reason, owner: doc.owner, backend: doc.backend,
    createdAt: doc.createdAt, startedAt: doc.startedAt, endedAt: doc.endedAt, error: doc.error,
    tasks: doc.tasks, records, outputPath: doc.output.path, workers: doc.workers ?? null, retries: doc.retries, ...(doc.speculation ? { speculation: doc.speculation } : {}),
    requests: doc.requests?.byOperation ?? {},
    // compute.workers: read by a stage's outcome for its runner's last round only, never for the status shown.
    config: { priority: doc.priority, input: { on_bad_record: doc.records.bad > 0 ? 'skip' : 'fail' }, compute: { workers: 0 } },
    coordinator: coordinatorMark(doc),
    pipeline: stages ? graphOf(stages) : null,
  };
  return view as unknown as JobRecord;
}

/** The coordinator's mark as the document gives it; a document without one (an older daemon) reads as coordinated now. */
function coordinatorMark(doc: JobStatusDocument): JobRecord['coordinator'] {
  const c = doc.coordinator;
  if (!c) return { owner: 'the coordinator behind DJC_URL', seenAt: Date.now() };
  return c.owner !== null && c.seenAt !== null ? { owner: c.owner, seenAt: Date.parse(c.seenAt) } : null;
}

/** A pipeline document as the records the formatters read: the pipeline and its stage runs. */
export function pipelineViews(doc: JobDocument): { job: JobRecord; runs: JobRecord[] } {
  const stages = 'stages' in doc ? doc.stages : undefined;
  return { job: jobView(doc, stages), runs: (stages ?? []).flatMap((s) => s.runs.map((r) => jobView(r))) };
}

function graphOf(stages: readonly PipelineStageDocument[]): PipelineGraph {
  const sweeps = stages.flatMap((s) => (s.sweep ? [{ stage: s.name, ...s.sweep }] : []));
  return { order: stages.map((s) => s.name), runs: stages.map((s) => ({ stage: s.name, needs: s.needs })), sweeps } as unknown as PipelineGraph;
}
