/**
 * Hand-built stage runs for tests of the pipeline layer: a StageRunSpec
 * from a partial job config as a user writes it (validated by the real
 * schema, so defaults are filled as the loader fills them).
 */
import { JobConfigSchema, type JobConfigInput } from '../config/schema.js';
import { UPSTREAM_SCHEME, type Point, type StageRunSpec, type UpstreamInput } from '../pipeline/types.js';

export interface StageRunOptions {
  stage?: string;
  point?: Point | null;
  needs?: string[];
  /** `format` defaults to null (the stage did not set input.format). */
  upstream?: (Omit<UpstreamInput, 'format'> & { format?: string | null }) | null;
  paramsUsed?: Record<string, unknown>;
  /** handler.files and input.checksum, set after validation. */
  handlerFiles?: string[];
  checksum?: boolean;
}

/** A stage run of `config` (its `name` defaults to the stage's). */
export function stageRun(config: Omit<JobConfigInput, 'name'> & { name?: string }, opts: StageRunOptions = {}): StageRunSpec {
  const stage = opts.stage ?? 'clean';
  // As the loader does: an upstream-fed input validates with a placeholder path, then holds upstream: entries.
  const upstream = opts.upstream ?? null;
  const input = upstream === null ? config.input : { ...config.input, path: 'upstream-placeholder' };
  const parsed = JobConfigSchema.parse({ name: stage, ...config, input });
  const withExtras = {
    ...parsed,
    handler: opts.handlerFiles === undefined ? parsed.handler : { ...parsed.handler, files: opts.handlerFiles },
    input: {
      ...parsed.input,
      ...(opts.checksum === undefined ? {} : { checksum: opts.checksum }),
      ...(upstream === null ? {} : { path: upstream.from.map((s) => `${UPSTREAM_SCHEME}${s}`) }),
    },
  };
  const point = opts.point ?? null;
  return {
    stage,
    point,
    displayName: point === null ? stage : `${stage}[${Object.entries(point).map(([k, v]) => `${k}=${String(v)}`).join(',')}]`,
    needs: opts.needs ?? opts.upstream?.from ?? [],
    onUpstreamFailure: 'skip',
    config: withExtras,
    upstream: opts.upstream ? { format: null, ...opts.upstream } : null,
    paramsUsed: opts.paramsUsed ?? {},
  };
}
