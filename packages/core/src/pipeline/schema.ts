/**
 * The pipeline YAML, as zod schemas: the keys a pipeline file adds to a job
 * file's. A stage is a job config (config/schema.ts) minus `name` and
 * `parameters`, plus the keys below; its `input` may read upstream stages
 * (`from`) instead of files. `StageSchema` and `PipelineFileSchema` describe
 * the whole file for the generated docs and error messages; validation
 * itself checks each stage's job part with JobConfigSchema (stage-config.ts).
 */
import { z } from 'zod';
import { InputSchema, JobConfigSchema, toleratedFailure } from '../config/schema.js';

export const NAME_RE = /^[a-z0-9_-]{1,64}$/;
const nameOf = (what: string) => z.string().regex(NAME_RE, 'expected 1-64 characters of a-z, 0-9, "_" or "-"').meta({ description: what });

const pointValue = z.union([z.string(), z.number(), z.boolean()]);
const partialPoint = z.record(z.string(), pointValue);

export const DEFAULT_MAX_POINTS = 1000;
export const MAX_MAX_POINTS = 100_000;

/** Keys of `matrix:` that are not axes. */
export const MATRIX_KEYS = ['include', 'exclude', 'rows', 'max_parallel', 'max_points', 'tolerated_failure'] as const;

export const MatrixSchema = z
  .object({
    include: z.array(partialPoint).default([]).meta({
      description: 'Extra points, each naming a value for every axis (added after exclude; a point already in the matrix is an error)',
    }),
    exclude: z.array(partialPoint).default([]).meta({
      description: 'Points to leave out; an entry naming some axes removes every point with those values',
    }),
    rows: z.string().min(1).optional().meta({
      description: 'A CSV file (relative to the YAML file) instead of axes: its header names the axes, each row is a point (values as text)',
    }),
    max_parallel: z.number().int().positive().optional().meta({ description: 'Points running at once (default: no limit)' }),
    max_points: z.number().int().min(1).max(MAX_MAX_POINTS).default(DEFAULT_MAX_POINTS).meta({
      description: `Most points the matrix may make: a guard against a typo that expands to millions (default ${DEFAULT_MAX_POINTS}, at most ${MAX_MAX_POINTS})`,
    }),
    tolerated_failure: toleratedFailure.prefault(0).meta({
      description: 'Failed points the stage tolerates and still succeeds: a count (2) or a percentage of its points ("10%")',
    }),
  })
  .catchall(z.array(pointValue).min(1).meta({ description: 'An axis: its values (numbers, strings, booleans), one run per combination' }))
  .meta({ description: 'Run the stage once per point: the cartesian product of the axes (every other key), or the rows of a CSV file; ${matrix.AXIS} is the point\'s value' });

export const UpstreamPolicySchema = z.enum(['fail', 'skip', 'run']).default('skip').meta({
  description: 'When an upstream stage failed, was cancelled or skipped: skip (this stage and its dependents end SKIPPED; independent stages run on), '
    + 'fail (the whole pipeline stops and fails), run (run on what the upstreams that succeeded produced)',
});

/** The stage keys that are not job keys. */
export const StageExtrasSchema = z.object({
  needs: z.union([nameOf('A stage name'), z.array(nameOf('A stage name'))]).default([])
    .transform((v) => (typeof v === 'string' ? [v] : v))
    .meta({ description: 'Stages that must end before this one starts (their names under stages:)' }),
  matrix: MatrixSchema.optional(),
  on_upstream_failure: UpstreamPolicySchema,
});

export const UpstreamInputSchema = z.object({
  from: z.union([nameOf('A stage name'), z.array(nameOf('A stage name')).min(1)])
    .transform((v) => (typeof v === 'string' ? [v] : v))
    .meta({ description: 'Read the results of these upstream stages (listed in needs) instead of files; several: their outputs in the order listed' }),
  each: z.enum(['batch']).optional().meta({
    description: 'batch: N to N, batch i of this stage is task i\'s output of the (one) upstream stage, and starts as soon as that task has committed',
  }),
});

const { name: _name, parameters: _parameters, ...jobKeys } = JobConfigSchema.shape;

/** A stage's input, for docs and messages: input.path (files) or input.from (upstream stages), plus the input keys. */
export const StageInputSchema = z.strictObject({
  ...InputSchema.shape,
  path: InputSchema.shape.path.optional(),
  ...UpstreamInputSchema.shape,
}).meta({ description: 'What the stage reads: files (path) or upstream stages (from), and how it is split into batches' });

export const StageSchema = z.strictObject({
  ...jobKeys,
  input: StageInputSchema,
  ...StageExtrasSchema.shape,
  extends: z.string().min(1).optional().meta({ description: 'A YAML file of stage keys this stage builds on (deep merge, lists replaced; its paths relative to it)' }),
}).meta({ description: 'One step of the pipeline: the keys of a job file (but name and parameters) and the keys below' });

export const PipelineFileSchema = z.strictObject({
  name: nameOf('Pipeline name: 1-64 characters of a-z, 0-9, _ and -; stage runs are named <pipeline>.<stage>'),
  description: z.string().optional().meta({ description: 'Free text describing the pipeline' }),
  labels: z.record(z.string(), z.string()).default({}).meta({ description: 'Free-form key/value labels (every stage run has them too)' }),
  parameters: JobConfigSchema.shape.parameters,
  extends: z.string().min(1).optional().meta({ description: 'A pipeline file this one builds on (deep merge, lists replaced, null removes a key; its paths relative to it)' }),
  defaults: z.record(z.string(), z.unknown()).optional().meta({ description: 'Stage keys deep-merged under every stage (the stage\'s own keys win)' }),
  priority: JobConfigSchema.shape.priority.optional().meta({ description: 'The priority of every stage run (a stage\'s own priority wins); `djc priority` changes a run\'s' }),
  stages: z.record(z.string(), z.record(z.string(), z.unknown())).meta({ description: 'The stages by name (1-64 characters of a-z, 0-9, _ and -), in any order: needs orders them' }),
});

/** The top-level keys of the pipeline, as parsed (stages still raw). */
export type PipelineFile = z.output<typeof PipelineFileSchema>;
export type MatrixConfig = z.output<typeof MatrixSchema>;

/** The whole pipeline file with its stages' keys, for the generated JSON Schema (schema/pipeline.schema.json) and docs. */
export const PipelineDocSchema = z.strictObject({
  ...PipelineFileSchema.shape,
  defaults: StageSchema.partial().optional().meta({ description: 'Stage keys deep-merged under every stage (the stage\'s own keys win)' }),
  stages: z.record(z.string(), StageSchema).meta({ description: PipelineFileSchema.shape.stages.description ?? 'The stages by name' }),
}).meta({ description: 'A djc pipeline: stages that depend on stages' });
