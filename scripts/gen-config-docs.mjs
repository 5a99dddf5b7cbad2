#!/usr/bin/env node
/**
 * Generates schema/job.schema.json and docs/configuration.md from the zod
 * schema of the job YAML (packages/core/src/config/schema.ts), so neither can
 * drift from what `djc validate` accepts.
 *
 *   node scripts/gen-config-docs.mjs           write both files
 *   node scripts/gen-config-docs.mjs --check   exit 1 if either file is stale
 *
 * The schema source is loaded through tsx (a dependency of @djc/core), so this
 * needs `pnpm install` but no build, and never reads a stale dist/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importTs } from './lib/ts-import.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CORE = join(ROOT, 'packages/core');
const JSON_SCHEMA_FILE = join(ROOT, 'schema/job.schema.json');
const DOCS_FILE = join(ROOT, 'docs/configuration.md');
const PIPELINE_SCHEMA_FILE = join(ROOT, 'schema/pipeline.schema.json');
const REGENERATE = 'pnpm gen:config-docs';
const requireFromCore = createRequire(join(CORE, 'package.json'));
const YAML = requireFromCore('yaml');

/** The complete example at the top of the docs. It must validate (checked below) and name every key. */
const EXAMPLE = `# yaml-language-server: $schema=../schema/job.schema.json
name: wordcount                        # required: 1-64 characters of a-z, 0-9, _ and -
# extends: ./base.yaml                 # build on another job file (deep merge; its paths relative to it)
description: Count words in reviews
labels: { team: data }
parameters: { min_length: 3 }          # used as \${params.min_length}; override with --set params.min_length=4

input:
  path: data/reviews.jsonl             # a file, a glob ("data/*.jsonl"), a list of them, or s3://bucket/key
  format: jsonl                        # jsonl | csv | text | parquet | binary | files
  batch: { records: 5000 }             # records per batch, one task per batch; or { bytes: 64MiB }, { row_groups: 2 } (parquet), { files: 10 } (files)
  csv: { delimiter: ",", header: true, quote: '"', multiline: true, relax_quotes: false }   # read when format: csv
  # binary: { record_size: 512 }       # format: binary only: bytes per record (without it, split by batch.bytes, one record per batch)
  compression: auto                    # auto (by name: .gz, .zst) | none | gzip | zstd; a compressed file is one batch
  on_bad_record: fail
  materialize: false
  checksum: false                      # pipelines' cache: fingerprint inputs by sha256 instead of size + mtime

handler:
  module: ./count.ts#countWords        # export async function countWords(records, ctx)
  # command: "python3 score.py --min \${params.min_length}"   # instead of module: a shell command per batch
  io: stdin                            # command handlers: batch on stdin, output on stdout (or file: $DJC_INPUT, $DJC_OUTPUT)
  env: { PYTHONUNBUFFERED: 1 }         # extra environment for command handlers
  # files: [score.py]                  # files the handler reads: part of a pipeline stage's cache key
  # rate_limit: { calls: 100, per: 1s } # at most 100 batch starts per second across all workers

compute:
  dispatcher: local
  workers: 4                           # worker processes
  concurrency: 1                       # tasks at once per worker
  timeout: 10m                         # per attempt
  lease: 30s                           # a worker silent this long loses its task
  # memory: 2GiB                       # heap limit of a module handler
  # worker_orphan_timeout: 5m          # a worker whose job nobody coordinates this long exits
  resources: { cpus: 1, gpus: 0 }      # what each worker needs (and memory: 4GiB); the scheduler reserves it
  # max_worker_deaths: { count: 11, per: 10s } # a rate: default 2 × workers + 3 deaths per 10s
  slurm:                               # read by dispatcher: slurm
    partition: debug
    time: "01:00:00"
    cpus_per_task: 1
    mem: 2G
    account: null
    qos: null
    gres: null
    constraint: null
    throttle: 50
    extra_args: []
  # speculate: { after: p95x2, min_peers: 10 }   # copy a task running over 2x the p95 of its peers (or after: 10m)

retry:
  max_attempts: 3                      # the first attempt included
  backoff: { initial: 1s, max: 1m, multiplier: 2, jitter: true }
  retry_on: [error, exit_code, timeout, signal, worker_lost, out_of_memory]
  non_retryable_exit_codes: [2]
tolerated_failure: 0%                  # a percentage of tasks ("5%"), or a count (3)
fail_fast: true                        # beyond it, cancel the rest and fail at once (djc run --keep-going: false)

output:
  path: out/wordcount.jsonl
  aggregate: concat                    # concat | none
  reduce: ./count.ts#merge             # export async function merge(outputs, ctx)
  # reduce_command: python3 merge.py   # or a command: batch outputs on stdin in batch order, result on stdout

priority: normal                       # urgent | high | normal | low, or an integer (higher first)
# deadline: 2h                         # stop the job (TIMEOUT) this long after submit

notification:
  webhook: https://hooks.example.com/djc
  command: "notify-send djc \\"$DJC_JOB_ID $DJC_JOB_STATUS\\""
  on: [succeeded, failed]
`;

async function main() {
  const check = process.argv.includes('--check');
  const { JobConfigSchema } = await importSchema();
  const { PipelineDocSchema } = await importTs('packages/core/src/pipeline/schema.ts');
  const jsonSchema = withExtends(buildJsonSchema(JobConfigSchema));
  const pipelineSchema = buildJsonSchema(PipelineDocSchema, 'djc pipeline file', 'A djc pipeline. Generated from packages/core/src/pipeline/schema.ts by scripts/gen-config-docs.mjs: do not edit.');
  checkExample(JobConfigSchema, jsonSchema);
  const outputs = [
    [JSON_SCHEMA_FILE, `${JSON.stringify(jsonSchema, null, 2)}\n`],
    [PIPELINE_SCHEMA_FILE, `${JSON.stringify(pipelineSchema, null, 2)}\n`],
    [DOCS_FILE, `${renderMarkdown(jsonSchema)}\n${renderPipelineMarkdown(pipelineSchema)}`],
  ];
  if (check) return checkFiles(outputs);
  for (const [file, text] of outputs) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    console.error(`wrote ${relative(ROOT, file)}`);
  }
  return 0;
}

/** Loads schema.ts through tsx (no build needed, never a stale dist/). */
async function importSchema() {
  return importTs('packages/core/src/config/schema.ts');
}

function buildJsonSchema(schema, title = 'djc job file', description = 'A djc job. Generated from packages/core/src/config/schema.ts by scripts/gen-config-docs.mjs: do not edit.') {
  const { $schema, description: _own, ...rest } = schema.toJSONSchema({ io: 'input', unrepresentable: 'any' });
  return { $schema, title, description, ...rest };
}

/** `extends` is read before validation (it is not a JobConfig key), but editors must accept it in a job file. */
function withExtends(jsonSchema) {
  const { name, ...rest } = jsonSchema.properties;
  const extendsKey = { type: 'string', minLength: 1, description: 'A YAML file this job builds on (deep merge, lists replaced, null removes a key; its paths relative to it)' };
  return { ...jsonSchema, properties: { name, extends: extendsKey, ...rest } };
}

/** The pipeline part: its top-level keys, then the keys a stage adds to the job keys (needs, matrix, input.from, …). */
function renderPipelineMarkdown(pipelineSchema) {
  const top = Object.entries(pipelineSchema.properties).map(([key, node]) => ({ path: [key], node, required: pipelineSchema.required.includes(key) }));
  const stage = pipelineSchema.properties.stages.additionalProperties;
  const jobKeys = new Set(['input', 'handler', 'compute', 'retry', 'tolerated_failure', 'fail_fast', 'output', 'notification', 'description', 'labels']);
  const own = Object.entries(stage.properties).filter(([key]) => !jobKeys.has(key));
  const stageRows = own.flatMap(([key, node]) => collectRows(node, [key], (stage.required ?? []).includes(key)));
  const inputRows = ['from', 'each'].map((key) => ({ path: ['input', key], node: stage.properties.input.properties[key], required: false }));
  const matrix = stage.properties.matrix;
  const axis = { path: ['matrix', '<axis>'], node: matrix.additionalProperties, required: false };
  return [
    PIPELINE_HEADER,
    '## Pipeline keys\n',
    table(top),
    '## Stage keys\n',
    'A stage takes every job key above except `name` and `parameters` (`input`, `handler`, `compute`, `retry`, `tolerated_failure`, `fail_fast`, `output`, `notification`, `description`, `labels`), and these:\n',
    table([...stageRows.filter((r) => r.path[0] !== 'matrix'), ...inputRows]),
    '## matrix\n',
    `${matrix.description}.\n`,
    table([axis, ...collectRows(matrix, ['matrix'], false).filter((r) => r.path.length > 1)]),
  ].join('\n');
}

const PIPELINE_HEADER = `# Pipeline configuration

A pipeline is a YAML file with \`stages:\` (see [pipelines](pipelines.md) for
the whole story). A stage is a job config without \`name\` and
\`parameters\`, plus the keys below; \`defaults:\` holds stage keys
merged under every stage. Editors can check pipeline files with
[\`schema/pipeline.schema.json\`](../schema/pipeline.schema.json).
`;

async function checkFiles(outputs) {
  let stale = 0;
  for (const [file, text] of outputs) {
    const onDisk = await readFile(file, 'utf8').catch(() => null);
    if (onDisk === text) continue;
    stale++;
    console.error(`${relative(ROOT, file)} is ${onDisk === null ? 'missing' : 'out of date'} (it is generated from packages/core/src/config/schema.ts)`);
  }
  if (stale > 0) {
    console.error(`run \`${REGENERATE}\` and commit the result`);
    return 1;
  }
  console.error('schema/job.schema.json and docs/configuration.md are up to date');
  return 0;
}

/** The example must be a valid job, and must mention every key of the schema (commented out is fine). */
function checkExample(schema, jsonSchema) {
  const result = schema.safeParse(YAML.parse(EXAMPLE));
  if (!result.success) {
    throw new Error(`the example in scripts/gen-config-docs.mjs is not a valid job:\n${JSON.stringify(result.error.issues, null, 2)}`);
  }
  const missing = collectRows(jsonSchema, [], true)
    .map((row) => row.path.at(-1))
    .filter((key) => !new RegExp(`(^|[\\s{,#])${key}:`, 'm').test(EXAMPLE));
  if (missing.length > 0) throw new Error(`the example in scripts/gen-config-docs.mjs does not show: ${missing.join(', ')}`);
}

// ---------------------------------------------------------------- markdown

/** One table row per key: [{ path, node, required }], depth first, in schema order. */
function collectRows(node, path, required) {
  const rows = path.length > 0 ? [{ path, node, required }] : [];
  const requiredKeys = new Set(node.required ?? []);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    rows.push(...collectRows(child, [...path, key], requiredKeys.has(key)));
  }
  return rows;
}

function renderMarkdown(jsonSchema) {
  const top = Object.entries(jsonSchema.properties);
  const sections = top.filter(([, node]) => node.properties);
  const topRows = top.map(([key, node]) => ({ path: [key], node, required: jsonSchema.required.includes(key) }));
  const parts = [
    HEADER,
    '## Complete example\n',
    '```yaml\n' + EXAMPLE + '```\n',
    SUBSTITUTION,
    UNITS,
    RETRY,
    '## Top-level keys\n',
    table(topRows, (row) => (row.node.properties ? ` (see [${row.path[0]}](#${row.path[0]}))` : '')),
  ];
  for (const [key, node] of sections) {
    parts.push(`## ${key}\n`);
    if (node.description) parts.push(`${node.description}.\n`);
    parts.push(table(collectRows(node, [key], false).filter((r) => r.path.length > 1)));
  }
  return parts.join('\n');
}

function table(rows, extra = () => '') {
  const lines = ['| YAML path | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const row of rows) {
    const cells = [`\`${row.path.join('.')}\``, typeLabel(row.node), defaultLabel(row), (row.node.description ?? '') + extra(row)];
    lines.push(`| ${cells.map(escapeCell).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

function escapeCell(text) {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function typeLabel(node) {
  if (/: a duration such as/.test(node.description ?? '')) return 'duration';
  if (/: a size such as/.test(node.description ?? '')) return 'size';
  if (/: a percentage/.test(node.description ?? '')) return 'percentage or count';
  if (node.enum) return node.enum.map((v) => `\`${v}\``).join(' | ');
  if (node.anyOf) return node.anyOf.map(typeLabel).join(' or ');
  const types = Array.isArray(node.type) ? node.type : [node.type];
  return types.map((t) => singleType(t, node)).join(' or ');
}

function singleType(type, node) {
  switch (type) {
    case 'integer':
    case 'number':
      return `${type}${rangeLabel(node)}`;
    case 'string':
      if (node.format === 'uri') return 'URL';
      if (node.maxLength === 1) return 'character';
      return 'string';
    case 'array':
      return `list of ${node.items ? typeLabel(node.items) : 'values'}`;
    case 'object':
      return typeof node.additionalProperties === 'object' ? `map of name → ${typeLabel(node.additionalProperties)}` : 'mapping';
    default:
      return type;
  }
}

function rangeLabel(node) {
  const max = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? node.maximum : undefined;
  const min = node.minimum;
  if (min !== undefined && max !== undefined) return ` (${min}–${max})`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (node.exclusiveMinimum !== undefined) return ` > ${node.exclusiveMinimum}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}

function defaultLabel(row) {
  if (row.required) return '**required**';
  if (!('default' in row.node)) return '';
  const value = row.node.default;
  if (value !== null && typeof value === 'object' && Object.keys(value).length === 0 && row.node.properties) return '(see below)';
  return `\`${YAML.stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trim()}\``;
}

const HEADER = `<!-- Generated by scripts/gen-config-docs.mjs from packages/core/src/config/schema.ts. Do not edit: run \`${REGENERATE}\`. -->

# Job configuration

A job is one YAML file. \`djc validate job.yaml\` checks it without running
anything and lists every problem at once, each with its YAML path and line.

- Relative paths (\`input.path\`, \`handler.module\`, \`output.path\`,
  \`output.reduce\`) are relative to the directory of the YAML file, not to
  the current directory. A command handler runs in that directory too.
- \`extends: ./base.yaml\` builds on another file: a deep merge where this
  file wins, lists are replaced, \`key: null\` removes what the base set, and
  paths in the base are relative to the base (see [pipelines](pipelines.md#extends-and-defaults)).
- Misspelled keys are errors, with a suggestion (\`unknown key "bach" (did you
  mean "batch"?)\`).
- Editors that speak JSON Schema (VS Code with the YAML extension, JetBrains)
  complete and check job files with [\`schema/job.schema.json\`](../schema/job.schema.json):
  add \`# yaml-language-server: $schema=<path to>/schema/job.schema.json\` as
  the first line.
`;

const SUBSTITUTION = `## Parameters, environment and \`--set\`

- \`\${params.NAME}\` is replaced by the parameter \`NAME\` from \`parameters\`;
  \`\${env.NAME}\` by the environment variable \`NAME\`. An unknown parameter
  or an unset variable is an error at the YAML path that uses it.
- A value that is exactly \`\${params.NAME}\` takes the parameter's type, so
  \`workers: \${params.n}\` is a number; inside a longer string the value is
  inserted as text. Environment values are always text.
- \`$\${\` is a literal \`\${\`. Other \`\${VAR}\` (no dot) are left alone, for the
  shell of a command handler. Nothing is substituted inside \`parameters\`.
- \`--set KEY=VALUE\` (repeatable) overrides a key before substitution:
  \`--set params.min_length=4\` sets a parameter, \`--set compute.workers=8\`
  any other key. The value is read as a
  YAML scalar (\`8\` is a number, \`true\` a boolean, \`abc\` a string) or a flow
  list (\`--set notification.on=[failed]\`).
`;

const UNITS = `## Durations, sizes and tolerated failures

- Duration: \`500ms\`, \`30s\`, \`10m\`, \`1h30m\`, \`2d\`, or a bare number of
  seconds.
- Size: \`512KiB\`, \`64MiB\`, \`2G\` (powers of 1024: K, KiB, M, MiB, G, GiB, T,
  TiB), \`1GB\` (powers of 1000: KB, MB, GB, TB), or a bare number of bytes.
- \`tolerated_failure\`: a percentage of the tasks (\`5%\`) or a number of tasks
  (\`3\`). The job ends FAILED when more tasks than that fail; with
  \`fail_fast: true\` (the default) it ends as soon as that is certain, and
  the tasks not run yet are cancelled (\`djc retry\` runs them).
`;

const RETRY = `## Changing settings for a retry

\`djc retry JOB\` re-runs failed and cancelled tasks with the config the job
was submitted with (the YAML file is not read again). \`--set KEY=VALUE\`
changes it for the re-run and later ones, with the same syntax as \`run --set\`:
\`compute.*\`, \`retry.*\`, \`tolerated_failure\`, \`fail_fast\`, \`output.*\`
(the result is aggregated again), \`notification.*\`, \`labels\` and
\`description\`. \`input.*\`, \`handler.*\`, \`parameters\` and \`name\` are
refused (exit 2): the tasks that already succeeded keep outputs made with the
old values. \`--set KEY=null\` unsets an optional key (or restores its
default). The job records every retry and what it changed (\`djc status\`).
`;

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`gen-config-docs: ${e.message}`);
    process.exit(70);
  },
);
