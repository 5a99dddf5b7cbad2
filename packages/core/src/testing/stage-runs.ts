/**
 * Hand-built stage runs for tests of the pipeline layer: a StageRunSpec
 * from a partial job config as a user writes it (validated by the real
 * schema, so defaults are filled as the loader fills them).
 */
import { JobConfigSchema, type JobConfigInput } from '../config/schema.js';
import type { Point, StageRunSpec, UpstreamInput } from '../pipeline/types.js';

export interface StageRunOptions {
  stage?: string;
  point?: Point | null;
  needs?: string[];
  upstream?: UpstreamInput | null;
  paramsUsed?: Record<string, unknown>;
  /** Keys the pipeline loader adds (handler.files, input.checksum): merged after validation. */
  handlerFiles?: string[];
  checksum?: boolean;
}

/** A stage run of `config` (its `name` defaults to the stage's). */
export function stageRun(config: Omit<JobConfigInput, 'name'> & { name?: string }, opts: StageRunOptions = {}): StageRunSpec {
  const stage = opts.stage ?? 'clean';
  const parsed = JobConfigSchema.parse({ name: stage, ...config });
  const withExtras = {
    ...parsed,
    handler: opts.handlerFiles === undefined ? parsed.handler : { ...parsed.handler, files: opts.handlerFiles },
    input: opts.checksum === undefined ? parsed.input : { ...parsed.input, checksum: opts.checksum },
  };
  const point = opts.point ?? null;
  return {
    stage,
    point,
    displayName: point === null ? stage : `${stage}[${Object.entries(point).map(([k, v]) => `${k}=${String(v)}`).join(',')}]`,
    needs: opts.needs ?? opts.upstream?.from ?? [],
    onUpstreamFailure: 'skip',
    config: withExtras,
    upstream: opts.upstream ?? null,
    paramsUsed: opts.paramsUsed ?? {},
  };
}
