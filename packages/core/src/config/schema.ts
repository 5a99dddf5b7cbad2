/**
 * The job YAML, as one zod schema: the single source of truth. The JSON
 * Schema (schema/job.schema.json) and docs/configuration.md are generated
 * from it by scripts/gen-config-docs.mjs, so they cannot drift.
 *
 * Durations and sizes are parsed here; the output type (`JobConfig`) carries
 * milliseconds and bytes. Paths stay as written; `loadJobFile` resolves them
 * against the YAML file's directory.
 */
import { z } from 'zod';
import { UPSTREAM_SCHEME } from '../pipeline/types.js';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.js';
import { SpeculateSchema } from './speculate-setting.js';

/** The schemas of durations (ms) and sizes (bytes), to show their values as a person writes them. */
const UNITS = new WeakMap<z.ZodType, 'duration' | 'size'>();

/** 'duration' or 'size' for such a key's schema (without its optional/default wrapper), else undefined. */
export function unitOfSchema(schema: z.ZodType): 'duration' | 'size' | undefined {
  return UNITS.get(schema);
}

function withUnit<T extends z.ZodType>(schema: T, unit: 'duration' | 'size'): T {
  UNITS.set(schema, unit);
  return schema;
}

/** Inclusive bounds of a duration (ms) or size (bytes) setting: no setting is meant to be unbounded. */
interface Bounds {
  min: number;
  max: number;
}

const DAY = 86_400_000;
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

/** "at least 1s and at most 12h" (or "at most 1d" when any non-negative value is fine); `sep` goes between the two. */
function rangeText(b: Bounds, show: (n: number) => string, sep = ' and '): string {
  return b.min > 1 ? `at least ${show(b.min)}${sep}at most ${show(b.max)}` : `at most ${show(b.max)}`;
}

const duration = (what: string, bounds: Bounds) => withUnit(
  z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: `expected a duration such as "30s", "10m" or "1h30m", found ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      if (ms < bounds.min || ms > bounds.max) {
        ctx.addIssue({ code: 'custom', message: `expected a duration of ${rangeText(bounds, formatDuration)}, found ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return ms;
    })
    .meta({
      description: `${what}: a duration such as "500ms", "30s", "10m", "1h30m", or a number of seconds (${rangeText(bounds, formatDuration, ', ')})`,
    }),
  'duration',
);

const size = (what: string, bounds: Bounds) => withUnit(
  z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const b = parseSize(v);
      if (b === null || b <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected a size such as "512KiB" or "64MiB", found ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      if (b < bounds.min || b > bounds.max) {
        ctx.addIssue({ code: 'custom', message: `expected a size of ${rangeText(bounds, formatSize)}, found ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return b;
    })
    .meta({ description: `${what}: a size such as "512KiB", "64MiB", "1GB", or a number of bytes (${rangeText(bounds, formatSize, ', ')})` }),
  'size',
);

/** A module reference `./file.ts#exportName` (the export defaults to `default`). */
export const MODULE_REF = /^[^#\s][^#]*(#[A-Za-z_$][\w$]*)?$/;
const moduleRef = (what: string) =>
  z.string().regex(MODULE_REF, 'expected a module reference such as "./file.ts#exportName"').meta({
    description: `${what}: "./file.ts#exportName" or "./file.js#exportName" (relative to the YAML file; "#default" if omitted)`,
  });

export const InputSchema = z
  .strictObject({
    path: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .meta({ description: 'Input file, glob, or list of them (relative to the YAML file), or s3://bucket/key, s3://bucket/prefix/ or an s3:// glob; directories too (every file under them) when the format is files' }),
    checksum: z.boolean().optional().meta({
      description: 'Fingerprint the input files by their sha256 (read in full) instead of their size and modification time, '
        + 'for the cache of pipeline stages: set it when files are rewritten with the same size and time',
    }),
    format: z
      .enum(['jsonl', 'csv', 'text', 'parquet', 'binary', 'files'])
      .default('jsonl')
      .meta({
        description: 'Record format: jsonl (one JSON value per line), csv, text (one record per line), parquet (one object per row; batches of whole row groups), '
          + 'binary (fixed-size byte ranges; records of input.binary.record_size bytes, or one per batch), '
          + 'files (each file is a record: the handler gets its path; input.path may name directories)',
      }),
    batch: z
      .strictObject({
        records: z.number().int().positive().optional().meta({ description: 'Records per batch (one task per batch)' }),
        bytes: size(
          'Bytes per batch. jsonl, text, csv: byte ranges cut where the first record at or after each multiple of it starts, '
          + 'so preparing reads only around the cuts (csv with csv.multiline: true scans the file once); '
          + 'record counts are known once the tasks have run. parquet: whole row groups up to this many bytes',
          { min: 1, max: TiB },
        ).optional(),
        files: z.number().int().positive().optional().meta({ description: 'Files per batch (format: files; batch.bytes there means files up to that total size)' }),
        row_groups: z.number().int().positive().optional().meta({ description: 'Parquet row groups per batch (format: parquet)' }),
      })
      .superRefine((batch, ctx) => {
        const set = (['records', 'bytes', 'files', 'row_groups'] as const).filter((k) => batch[k] !== undefined);
        if (set.length !== 1) {
          ctx.addIssue({ code: 'custom', message: `set exactly one of records, bytes, files, row_groups (found ${set.length === 0 ? 'none' : set.join(', ')})` });
        }
      })
      .prefault({ records: 1000 })
      .meta({ description: 'How to split the input: exactly one of records, bytes, files (format: files), row_groups (format: parquet)' }),
    csv: z
      .strictObject({
        delimiter: z.string().length(1).default(',').meta({ description: 'Field delimiter (one character)' }),
        header: z.boolean().default(true).meta({ description: 'The first row is a header; it travels with every batch' }),
        quote: z.string().length(1).default('"').meta({ description: 'Quote character; quoted fields may hold delimiters, quotes ("") and newlines' }),
        multiline: z.boolean().default(true).meta({
          description: 'Quoted fields may hold line breaks. With batch.bytes, true finds the cuts with one quote-aware scan of the whole file; '
            + 'false declares there are none, so cuts are found by reading only around them, and a quoted line break is then an error (INPUT_INVALID, with its byte offset)',
        }),
        relax_quotes: z.boolean().default(false).meta({
          description: 'A quote inside an unquoted field is data, as with csv-parse\'s relax_quotes and Python\'s csv module: the row 5"10,x has the fields 5"10 and x. '
            + 'A field that starts with the quote is quoted as usual. false: such a quote makes the row a bad record (input.on_bad_record)',
        }),
      })
      .default({ delimiter: ',', header: true, quote: '"', multiline: true, relax_quotes: false })
      .meta({ description: 'CSV options (format: csv)' }),
    binary: z
      .strictObject({
        record_size: size('Bytes per record: batches hold whole records, a module handler gets one Buffer per record, and a file that ends in a partial record has a bad record', { min: 1, max: GiB }).optional(),
      })
      .optional()
      .meta({ description: 'Binary options (format: binary)' }),
    compression: z
      .enum(['auto', 'none', 'gzip', 'zstd'])
      .default('auto')
      .meta({
        description: 'Compressed jsonl, text, csv or binary files: auto tells by the file name (.gz, .gzip, .zst, .zstd). '
          + 'A compressed file cannot be split: each is one batch, decompressed by its worker as it reads (so use many smaller files, '
          + 'or recompress into them, for parallelism); its records are counted when its task runs',
      }),
    on_bad_record: z
      .enum(['fail', 'skip', 'dead_letter'])
      .default('fail')
      .meta({
        description: 'A record that cannot be decoded (a jsonl line that is not JSON, a csv row whose field count differs from the header, '
          + 'a jsonl, csv or text record that is not valid UTF-8, a parquet row group that cannot be decoded): '
          + 'fail stops its task with the file, line, byte offset, the record\'s place in its batch and a snippet; '
          + 'skip leaves it out and counts it (records.bad); dead_letter also keeps it, with its file and byte offset, '
          + 'in the job\'s dead-letter file (djc results JOB --bad-records). Module and command handlers get the same records',
      }),
    materialize: z
      .boolean()
      .default(false)
      .meta({
        description: 'Copy each batch (format: files, each file) into the blob store at prepare, with its sha256 in the manifest, '
          + 'for workers that cannot see the input (e.g. local files and Slurm nodes without a shared filesystem); '
          + 'workers read the copy after checking its sha256. Not for parquet, which workers read with ranged reads',
      }),
  })
  .superRefine((input, ctx) => {
    const paths = Array.isArray(input.path) ? input.path : [input.path];
    paths.forEach((p, i) => {
      if (p.startsWith(UPSTREAM_SCHEME)) {
        ctx.addIssue({
          code: 'custom', path: Array.isArray(input.path) ? ['path', i] : ['path'],
          message: `"${UPSTREAM_SCHEME}" paths are filled in by pipelines; in a pipeline stage, read an upstream stage with input.from`,
        });
      }
    });
    if (input.batch.row_groups !== undefined && input.format !== 'parquet') {
      ctx.addIssue({ code: 'custom', path: ['batch', 'row_groups'], message: `splits parquet input only (input.format is ${input.format}); use batch.records` });
    }
    if (input.batch.files !== undefined && input.format !== 'files') {
      ctx.addIssue({ code: 'custom', path: ['batch', 'files'], message: `splits format: files only (input.format is ${input.format}); use batch.records` });
    }
    if ((input.compression === 'gzip' || input.compression === 'zstd') && (input.format === 'parquet' || input.format === 'files')) {
      ctx.addIssue({
        code: 'custom', path: ['compression'],
        message: input.format === 'parquet'
          ? 'does not apply to parquet (its pages are compressed inside the file); remove it'
          : 'does not apply to format: files (the handler reads each file itself); remove it',
      });
    }
    if (input.materialize && input.format === 'parquet') {
      ctx.addIssue({
        code: 'custom', path: ['materialize'],
        message: 'does not apply to parquet: workers read its row groups with ranged reads; put the files where workers can read them (s3:// or a shared filesystem)',
      });
    }
    if (input.binary !== undefined && input.format !== 'binary') {
      ctx.addIssue({ code: 'custom', path: ['binary'], message: `applies to format: binary only (input.format is ${input.format})` });
    }
    if (input.format === 'binary' && input.binary?.record_size === undefined && input.batch.bytes === undefined) {
      ctx.addIssue({
        code: 'custom', path: ['batch'],
        message: 'binary input without input.binary.record_size is split by bytes: set batch.bytes (e.g. { bytes: 64MiB }), or binary.record_size to split by records',
      });
    }
  })
  .meta({ description: 'What to process and how to split it into batches' });

export const HandlerSchema = z
  .strictObject({
    module: moduleRef('A JS/TS module handler, `async (records, ctx) => output`').optional(),
    command: z.string().min(1).optional().meta({
      description: 'A shell command run once per batch: the batch on stdin (or $DJC_INPUT), output on stdout (or $DJC_OUTPUT).'
        + ' A substituted ${params.NAME}, ${env.NAME} or ${matrix.NAME} is quoted for the shell (one word, taken literally: `$(…)` in a value runs nothing); ${raw.params.NAME} inserts it as written',
    }),
    files: z.array(z.string().min(1)).optional().meta({
      description: 'Files the handler reads (a command\'s script, a lookup table; relative to the YAML file): their content is part of a pipeline stage\'s cache key, '
        + 'so editing one re-runs the stage. A module handler\'s local imports are found without it',
    }),
    io: z.enum(['stdin', 'file']).default('stdin').meta({
      description: 'Command handlers: stdin/stdout, or files named by $DJC_INPUT and $DJC_OUTPUT',
    }),
    env: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
      .prefault({})
      .meta({ description: 'Extra environment variables for command handlers (numbers and booleans become strings)' }),
    rate_limit: z
      .strictObject({
        calls: z.number().int().min(1).max(1_000_000).meta({ description: 'Batch starts allowed per period' }),
        per: duration('The period', { min: 1, max: DAY }).prefault('1s'),
      })
      .optional()
      .meta({ description: 'At most `calls` batch starts per `per` across all workers of the job (for handlers that call an external API)' }),
  })
  .superRefine((h, ctx) => {
    if ((h.module === undefined) === (h.command === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of handler.module or handler.command' });
    }
  })
  .meta({ description: 'What runs on each batch: set exactly one of module (a JS/TS function) and command (a shell command)' });

export const SlurmSchema = z
  .strictObject({
    partition: z.string().optional().meta({ description: 'sbatch --partition' }),
    time: z.string().optional().meta({ description: 'sbatch --time, the wall-clock limit of each array element ("01:00:00")' }),
    cpus_per_task: z.number().int().positive().optional().meta({ description: 'sbatch --cpus-per-task' }),
    mem: z.string().optional().meta({ description: 'sbatch --mem ("2G")' }),
    account: z.string().nullable().optional().meta({ description: 'sbatch --account' }),
    qos: z.string().nullable().optional().meta({ description: 'sbatch --qos' }),
    gres: z.string().nullable().optional().meta({ description: 'sbatch --gres ("gpu:1")' }),
    constraint: z.string().nullable().optional().meta({ description: 'sbatch --constraint' }),
    workers: z.number().int().min(1).max(100_000).optional().meta({ description: 'Array size: worker processes in the Slurm array (default: compute.workers). Never the batch count' }),
    throttle: z.number().int().positive().optional().meta({ description: 'Most array elements running at once (the %N of --array)' }),
    extra_args: z.array(z.string()).default([]).meta({ description: 'More sbatch arguments, passed as is' }),
  })
  .meta({ description: 'sbatch settings (dispatcher: slurm)' });

export type SlurmConfig = z.output<typeof SlurmSchema>;

export const ResourcesSchema = z
  .strictObject({
    cpus: z.number().positive().max(4096).default(1).meta({
      description: 'CPUs each worker needs (fractions allowed, e.g. 0.5 for I/O-bound handlers). Reserved against the capacity; '
        + 'a local worker asking whole CPUs is pinned to them. Slurm: --cpus-per-task',
    }),
    memory: size('Memory each worker needs. Reserved against the capacity; a local worker\'s handlers are limited to it. Slurm: --mem', {
      min: MiB, max: 64 * TiB,
    }).optional(),
    gpus: z.number().int().min(0).max(64).default(0).meta({
      description: 'GPUs each worker needs. A local worker gets CUDA_VISIBLE_DEVICES set to its GPUs. Slurm: --gres=gpu:N',
    }),
  })
  .meta({ description: 'What each worker needs; the scheduler starts a worker only when this much of the capacity is free' });

export type ResourcesConfig = z.output<typeof ResourcesSchema>;

export { PRIORITY_CLASSES, type PriorityClass } from './priority-classes.js';

export const PrioritySchema = z
  .union([z.enum(['low', 'normal', 'high', 'urgent']), z.number().int().min(-1000).max(1000)])
  .meta({
    description: 'urgent | high | normal | low (40, 30, 20, 10), or an integer: jobs with a higher priority get workers first; '
      + 'change it later with `djc priority JOB P`',
  });

export const ComputeSchema = z
  .strictObject({
    dispatcher: z
      .enum(['local', 'slurm', 'external'])
      .default('local')
      .meta({ description: 'Where workers run: local child processes, a Slurm job array (compute.slurm), or external (djc prints the worker command and starts none)' }),
    workers: z.number().int().min(1).max(10_000).default(4).meta({ description: 'Number of worker processes (for slurm: the array size, unless compute.slurm.workers says otherwise)' }),
    concurrency: z.number().int().min(1).max(256).default(1).meta({ description: 'Tasks at once per worker' }),
    timeout: duration('Per-attempt timeout', { min: 1000, max: 7 * DAY }).prefault('10m'),
    lease: duration('Task lease; a worker that stops heartbeating for this long loses its task (heartbeats extend it, so it need not cover a whole attempt)', {
      min: 1000, max: DAY / 2,
    }).prefault('30s'),
    memory: size('Heap limit of a module handler (an attempt that exceeds it fails)', { min: 16 * MiB, max: TiB }).optional(),
    worker_orphan_timeout: duration('A worker whose job no coordinator has marked for this long (its coordinator died and none took over) '
      + 'stops taking tasks, lets its running ones finish, and exits. Default: DJC_WORKER_ORPHAN_TIMEOUT in the worker\'s environment, else 5m', {
      min: 1000, max: 7 * DAY,
    }).optional(),
    resources: ResourcesSchema.prefault({}),
    slurm: SlurmSchema.optional(),
    max_worker_deaths: z
      .strictObject({
        count: z.number().int().min(1).max(1_000_000).optional().meta({ description: 'Worker deaths tolerated within `per` (default: 2 × workers + 3)' }),
        per: duration('The sliding window the deaths are counted in', { min: 1000, max: 7 * DAY }).prefault('10s'),
      })
      .prefault({})
      .meta({
        description: 'A RATE of worker deaths: while more than `count` workers died within the last `per`, dead workers are not replaced, '
          + 'and once none is left the job fails naming this limit. Occasional deaths (a node lost, an OOM kill) never add up over a long job. '
          + 'A crash loop slower than the rate ends too: more than `count` workers crashing (an exit code or a fault signal; not killed) while no task finishes pass the limit. '
          + 'Local workers and Slurm array tasks; kept on the job so a new coordinator continues it',
      }),
    speculate: SpeculateSchema.optional(),
  })
  .meta({ description: 'Where and how workers run' });

export const RETRYABLE = ['error', 'exit_code', 'timeout', 'signal', 'worker_lost', 'out_of_memory'] as const;
export type FailureKind = (typeof RETRYABLE)[number];

export const RetrySchema = z.strictObject({
  max_attempts: z.number().int().min(1).max(100).default(3).meta({ description: 'Attempts per task, the first included' }),
  backoff: z
    .strictObject({
      initial: duration('Delay before the first retry', { min: 0, max: DAY }).prefault('1s'),
      max: duration('Longest delay between attempts', { min: 0, max: DAY }).prefault('1m'),
      multiplier: z.number().min(1).max(10).default(2).meta({ description: 'Each retry waits this many times longer' }),
      jitter: z.boolean().default(true).meta({ description: 'Randomise each delay ("full jitter") to spread retries out' }),
    })
    .prefault({})
    .meta({ description: 'Exponential backoff between attempts' }),
  retry_on: z.array(z.enum(RETRYABLE)).default([...RETRYABLE]).meta({
    description: 'Which failures are retried: error (a module handler threw), exit_code, timeout, signal, worker_lost, out_of_memory',
  }),
  non_retryable_exit_codes: z.array(z.number().int().min(1).max(255)).default([]).meta({
    description: 'Exit codes of a command handler that fail the task at once',
  }),
}).meta({ description: 'How failed attempts are retried' });

export const OutputSchema = z.strictObject({
  path: z.string().min(1).optional().meta({
    description: 'Where the job result is written (relative to the YAML file). Without it, `djc results JOB` prints the result',
  }),
  aggregate: z.enum(['concat', 'none']).default('concat').meta({
    description: 'concat: batch outputs joined in batch order; none: keep per-batch outputs only (djc results JOB --task N prints one)',
  }),
  reduce: moduleRef('A reducer `async (outputs, ctx) => result` that folds batch outputs in batch order').optional(),
  reduce_command: z.string().min(1).optional().meta({
    description: 'A shell command that folds the batch outputs: it gets them on stdin, concatenated in batch order, and its stdout is the job result '
      + '(run by /bin/sh in the YAML file\'s directory, with DJC_JOB_ID set). A non-zero exit fails the job with the end of its stderr. '
      + 'For reducers in Python, R, …; exclusive with output.reduce. A substituted ${params.NAME}, ${env.NAME} or ${matrix.NAME} is quoted for the shell (one word, taken literally: `$(…)` in a value runs nothing); ${raw.params.NAME} inserts it as written',
  }),
}).superRefine((out, ctx) => {
  if (out.reduce !== undefined && out.reduce_command !== undefined) {
    ctx.addIssue({
      code: 'custom', path: ['reduce_command'],
      message: 'output.reduce and output.reduce_command are exclusive: keep one (reduce: a JS/TS function; reduce_command: a shell command)',
    });
  }
}).meta({ description: 'Where and how batch outputs become the job result' });

export const NotificationSchema = z
  .strictObject({
    webhook: z.url().optional().meta({ description: 'POST the job status as JSON to this URL' }),
    command: z.string().min(1).optional().meta({ description: 'Run this shell command (DJC_JOB_ID, DJC_JOB_STATUS set); substituted values are quoted as in handler.command' }),
    on: z.array(z.enum(['succeeded', 'failed', 'cancelled', 'timeout'])).default(['succeeded', 'failed', 'cancelled', 'timeout']).meta({
      description: 'Which job endings notify',
    }),
  })
  .meta({ description: 'Tell someone when the job ends' });

export const toleratedFailure = z
  .union([z.string(), z.number().int().min(0)])
  .transform((v, ctx): { percent: number } | { count: number } => {
    if (typeof v === 'number') return { count: v };
    const m = /^(\d+(?:\.\d+)?)\s*%$/.exec(v.trim());
    if (m && Number(m[1]) <= 100) return { percent: Number(m[1]) };
    if (/^\d+$/.test(v.trim())) return { count: Number(v.trim()) };
    ctx.addIssue({ code: 'custom', message: `expected a percentage such as "5%" or a task count such as 3, found ${JSON.stringify(v)}` });
    return z.NEVER;
  })
  .meta({ description: 'Failed tasks a job may have and still succeed: a percentage of tasks ("5%") or a count (3)' });

export const JobConfigSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9_-]{1,64}$/, 'expected 1-64 characters of a-z, 0-9, "_" or "-"')
    .meta({ description: 'Job name: 1-64 characters of a-z, 0-9, _ and -' }),
  description: z.string().optional().meta({ description: 'Free text describing the job' }),
  labels: z.record(z.string(), z.string()).default({}).meta({ description: 'Free-form key/value labels' }),
  parameters: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .meta({ description: 'Values for ${params.NAME} substitution; override with --set params.NAME=VALUE' }),
  input: InputSchema,
  handler: HandlerSchema,
  // prefault, not default: a default is an OUTPUT value and skips parsing, so
  // durations inside it would stay strings ("10m") instead of becoming ms.
  compute: ComputeSchema.prefault({}),
  retry: RetrySchema.prefault({}),
  tolerated_failure: toleratedFailure.prefault(0),
  fail_fast: z.boolean().default(true).meta({
    description: 'Once more tasks have failed than tolerated_failure allows (the job can no longer succeed), cancel the tasks not yet run '
      + 'and end the job FAILED at once. false (or `djc run --keep-going`): run every task, then fail. `djc retry` re-runs the failed and the cancelled tasks',
  }),
  output: OutputSchema.prefault({}),
  notification: NotificationSchema.optional(),
  priority: PrioritySchema.default('normal'),
  deadline: duration('Wall-clock limit of the whole job from submit: when it passes, the job is stopped like a cancel and ends TIMEOUT', {
    min: 1000, max: 365 * DAY,
  }).optional(),
});

/** The job config as written (durations as strings). */
export type JobConfigInput = z.input<typeof JobConfigSchema>;
/** The job config after validation: defaults filled, durations in ms, sizes in bytes. */
export type JobConfig = z.output<typeof JobConfigSchema>;
