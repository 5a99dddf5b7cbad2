/**
 * The pipeline model shared by the loader (core/src/pipeline), the runner
 * (coordinator/src/pipeline) and the CLI. Pure data: no I/O types.
 *
 * Glossary
 * - pipeline: a YAML file with `stages:`; one submitted pipeline is a job
 *   record of kind `pipeline`.
 * - stage: a named step of a pipeline; a job config plus `needs`, `matrix`,
 *   `on_upstream_failure`.
 * - stage run: one run of a stage, a job record of kind `stage` whose parent
 *   is the pipeline: the stage itself, or one point of its matrix.
 * - point: the values of the matrix axes for one stage run.
 * - upstream / downstream: a stage named in `needs` / a stage that needs it.
 * - hand-off: a downstream stage run gets its input from its upstreams'
 *   outputs, through the blob store.
 */
import type { JobConfig } from '../config/schema.js';

/** What a stage does when an upstream stage failed or was cancelled or skipped. */
export type UpstreamPolicy = 'fail' | 'skip' | 'run';

/** A matrix value as written in YAML (or read from a `rows:` CSV, as text). */
export type PointValue = string | number | boolean;

/** The values of one point, by axis name, in axis order. */
export type Point = Readonly<Record<string, PointValue>>;

/**
 * Scheme of the placeholder `input.path` entries of a stage run fed by its
 * upstreams ("upstream:clean"): the runner replaces them with the locations
 * of the upstream results when the run becomes ready. Nothing outside a
 * pipeline accepts such a path.
 */
export const UPSTREAM_SCHEME = 'upstream:';

/** A stage run's input when it comes from upstream stages instead of files. */
export interface UpstreamInput {
  /** Upstream stage names, in the order listed (their outputs are read in this order). */
  from: readonly string[];
  /**
   * 'batch': N to N, batch i is upstream task i's output (one upstream only);
   * null: the upstreams' aggregated results, split again by the stage's own `input.batch`.
   */
  each: 'batch' | null;
  /**
   * `input.format` as the stage wrote it, or null when it did not: the
   * runner then takes it from the upstream result's output kind
   * (json-lines → jsonl, raw → text). `config.input.format` holds zod's
   * default ('jsonl') until then.
   */
  format: string | null;
}

/** One run of a stage: the stage itself, or one point of its matrix. */
export interface StageRunSpec {
  /** The stage's name as written under `stages:`. */
  stage: string;
  /** This run's matrix values, or null for a stage without a matrix. */
  point: Point | null;
  /** "train" or "train[lr=0.1,depth=4]": how people see the run. */
  displayName: string;
  /** Upstream stage names (every run of each must have ended). */
  needs: readonly string[];
  onUpstreamFailure: UpstreamPolicy;
  /**
   * The run's job config: defaults and `extends` merged, `${params.x}` and
   * `${matrix.x}` substituted, paths absolute. When `upstream` is set, its
   * `input.path` holds UPSTREAM_SCHEME placeholders until the run is ready.
   */
  config: JobConfig;
  upstream: UpstreamInput | null;
  /** The pipeline parameters this run's config references (`${params.x}`), with their values: part of its cache key. */
  paramsUsed: Readonly<Record<string, unknown>>;
}

/** How the runs of a matrix stage are run together. */
export interface SweepSpec {
  stage: string;
  /** Points running at once; null: no limit. */
  maxParallel: number | null;
  /** Failed points the stage tolerates: a count, or a percent of its points. */
  toleratedFailure: { count: number } | { percent: number };
  points: number;
}

/** A file the spec was built from (the pipeline file, every `extends` and `rows:` file), snapshotted at submit. */
export interface SourceFile {
  path: string;
  sha256: string;
}

/** A validated, expanded pipeline: what is stored on the pipeline's record at submit. */
export interface PipelineSpec {
  /** Schema version of this stored shape. */
  v: 1;
  name: string;
  description?: string;
  labels: Readonly<Record<string, string>>;
  parameters: Readonly<Record<string, unknown>>;
  /** Stage names in a topological order (every stage after its needs), ties in file order. */
  order: readonly string[];
  runs: readonly StageRunSpec[];
  sweeps: readonly SweepSpec[];
  sources: readonly SourceFile[];
}

/** A stage run as the pipeline's record keeps it: everything but its config (which its own record holds). */
export type StageRunInfo = Omit<StageRunSpec, 'config'>;

/**
 * What a pipeline's job record stores (JobRecord.pipeline): the spec without
 * the runs' configs, so that a 1,000-point sweep stays far below a DynamoDB
 * item (each run's config is on the run's own record).
 */
export interface PipelineGraph extends Omit<PipelineSpec, 'runs'> {
  runs: readonly StageRunInfo[];
  /**
   * Submitted with `--fresh` (`djc run`, `djc submit`): re-use nothing from
   * the cache. Stored with the pipeline so whichever coordinator runs it
   * (the daemon, a resume) honours it. Absent otherwise.
   */
  fresh?: true;
}

/** The graph of a spec (see PipelineGraph). */
export function graphOf(spec: PipelineSpec): PipelineGraph {
  return { ...spec, runs: spec.runs.map(({ config: _config, ...info }) => info) };
}
