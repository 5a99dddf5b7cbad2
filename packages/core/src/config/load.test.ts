import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeFor, isDjcError } from '../errors.js';
import { formatIssue, loadJobFile, validateJobFile, type ConfigIssue, type LoadOptions } from './load.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'djc-load-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes files under the temp dir (parents created); returns the absolute path of the first. */
async function files(entries: Record<string, string>): Promise<string> {
  for (const [name, text] of Object.entries(entries)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return join(dir, Object.keys(entries)[0] as string);
}

/** A job file whose line N is lines[N-1], plus a handler module and an input file. */
async function job(lines: string[], extra: Record<string, string> = {}): Promise<string> {
  return files({ 'job.yaml': `${lines.join('\n')}\n`, 'count.ts': 'export async function countWords() {}\n', 'data/reviews.jsonl': '{"a":1}\n', ...extra });
}

const MINIMAL = ['name: wordcount', 'input:', '  path: data/reviews.jsonl', 'handler:', '  module: ./count.ts#countWords'];

async function issuesOf(file: string, opts?: LoadOptions): Promise<ConfigIssue[]> {
  const result = await validateJobFile(file, opts);
  if (result.ok) throw new Error('expected the job file to be invalid');
  return result.issues;
}

/** [path, line, message] of each issue: what a user reads. */
const brief = (issues: ConfigIssue[]): Array<[string, number | undefined, string]> => issues.map((i) => [i.path, i.line, i.message]);

describe('validateJobFile: a valid file', () => {
  it('fills defaults, converts durations and sizes, and makes paths absolute', async () => {
    const file = await job([
      'name: wordcount',
      'input:',
      '  path: data/reviews.jsonl',
      '  format: csv',
      'handler:',
      '  module: ./count.ts#countWords',
      'compute:',
      '  workers: 2',
      '  memory: 64MiB',
      'retry:',
      '  backoff: { initial: 500ms }',
      'tolerated_failure: 5%',
      'output:',
      '  path: out/result.jsonl',
      '  reduce: ./count.ts#merge',
    ]);
    const result = await validateJobFile(file);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config, configPath, baseDir } = result.job;
    expect(configPath).toBe(file);
    expect(baseDir).toBe(dir);
    expect(config.input).toEqual({
      path: join(dir, 'data/reviews.jsonl'),
      format: 'csv',
      batch: { records: 1000 },
      csv: { delimiter: ',', header: true, quote: '"', multiline: true, relax_quotes: false },
      compression: 'auto',
      on_bad_record: 'fail',
      materialize: false,
    });
    expect(config.handler).toEqual({ module: `${join(dir, 'count.ts')}#countWords`, io: 'stdin', env: {} });
    expect(config.compute).toEqual({
      dispatcher: 'local', workers: 2, concurrency: 1, timeout: 600_000, lease: 30_000, memory: 64 * 1024 * 1024, resources: { cpus: 1, gpus: 0 },
      max_worker_deaths: { per: 10_000 },
    });
    expect(config.retry.backoff).toEqual({ initial: 500, max: 60_000, multiplier: 2, jitter: true });
    expect(config.retry.max_attempts).toBe(3);
    expect(config.tolerated_failure).toEqual({ percent: 5 });
    expect(config.output).toEqual({ path: join(dir, 'out/result.jsonl'), aggregate: 'concat', reduce: `${join(dir, 'count.ts')}#merge` });
    expect(config.labels).toEqual({});
  });

  it('fills whole sections that are left out, durations included', async () => {
    const { config } = await loadJobFile(await job(MINIMAL));
    expect(config.compute.timeout).toBe(600_000);
    expect(config.retry).toEqual({
      max_attempts: 3,
      backoff: { initial: 1000, max: 60_000, multiplier: 2, jitter: true },
      retry_on: ['error', 'exit_code', 'timeout', 'signal', 'worker_lost', 'out_of_memory'],
      non_retryable_exit_codes: [],
    });
    expect(config.tolerated_failure).toEqual({ count: 0 });
    expect(config.output).toEqual({ aggregate: 'concat' });
  });

  it('turns numbers and booleans in handler.env into strings', async () => {
    const file = await job(['name: cmd', 'input:', '  path: data/reviews.jsonl', 'handler:', '  command: wc -l', '  env: { THREADS: 4, DEBUG: true, NAME: x }']);
    const { config } = await loadJobFile(file);
    expect(config.handler.env).toEqual({ THREADS: '4', DEBUG: 'true', NAME: 'x' });
    expect(config.handler.command).toBe('wc -l');
  });
});

describe('validateJobFile: schema errors', () => {
  it('reports three errors at once, each with its YAML path and line, ordered by line', async () => {
    const file = await job([
      'name: wordcount', // 1
      'input:', // 2
      '  path: data/reviews.jsonl', // 3
      '  bach: { records: 10 }', // 4
      'handler:', // 5
      '  module: ./count.ts#countWords', // 6
      'retry:', // 7
      '  max_attempts: 0', // 8
      'compute:', // 9
      '  workers: "four"', // 10
    ]);
    const issues = await issuesOf(file);
    expect(brief(issues)).toEqual([
      ['input.bach', 4, 'unknown key "bach" (did you mean "batch"?)'],
      ['retry.max_attempts', 8, 'expected an integer from 1 to 100, found 0'],
      ['compute.workers', 10, 'expected an integer from 1 to 10000, found string "four"'],
    ]);
    expect(issues.map((i) => i.col)).toEqual([3, 17, 12]);
    expect(issues.every((i) => i.file === file)).toBe(true);
  });

  it('lists the allowed keys when no key is close to a misspelled one', async () => {
    const issues = await issuesOf(await job([...MINIMAL, 'colour: blue']));
    expect(brief(issues)).toEqual([
      ['colour', 6, 'unknown key "colour"; allowed keys: name, description, labels, parameters, input, handler, compute, retry, tolerated_failure, fail_fast, output, notification, priority, deadline'],
    ]);
  });

  it('points a missing required key at its parent key', async () => {
    const file = await job(['name: wordcount', 'input:', '  format: csv', 'handler:', '  module: ./count.ts#countWords']);
    expect(brief(await issuesOf(file))).toEqual([['input.path', 2, 'missing required key "path"']]);
  });

  it('reports missing top-level keys at the root', async () => {
    const issues = await issuesOf(await job(['input:', '  path: data/reviews.jsonl', 'handler:', '  command: wc -l']));
    expect(brief(issues)).toEqual([['name', 1, 'missing required key "name"']]);
  });

  it('says what was expected and found, with list indices and enum suggestions', async () => {
    const file = await job([
      ...MINIMAL,
      'compute:', // 6
      '  timeout: soon', // 7
      '  concurrency: 1.5', // 8
      'notification:', // 9
      '  on: [succeeded, faild]', // 10
      '  webhook: not-a-url', // 11
      'labels: { team: 7 }', // 12
    ]);
    expect(brief(await issuesOf(file))).toEqual([
      ['compute.timeout', 7, 'expected a duration such as "30s", "10m" or "1h30m", found "soon"'],
      ['compute.concurrency', 8, 'expected an integer from 1 to 256, found number 1.5'],
      ['notification.on[1]', 10, 'expected one of "succeeded", "failed", "cancelled", "timeout", found "faild" (did you mean "failed"?)'],
      ['notification.webhook', 11, 'expected a URL such as "https://hooks.example.com/djc", found "not-a-url"'],
      ['labels.team', 12, 'expected a string, found number 7'],
    ]);
  });

  it('describes unions and empty values', async () => {
    const file = await job(['name: wordcount', 'input:', '  path: 42', 'handler:', '  module: ./count.ts#countWords', 'compute:', '  lease: true', 'retry:']);
    expect(brief(await issuesOf(file))).toEqual([
      ['input.path', 3, 'expected a non-empty string or a non-empty list of strings, found number 42'],
      ['compute.lease', 7, 'expected a duration such as "500ms", "30s", "10m", "1h30m", or a number of seconds (at least 1s, at most 12h), found boolean true'],
      ['retry', 8, 'expected a mapping, found null (an empty value)'],
    ]);
  });

  it('rejects a handler with both module and command', async () => {
    const file = await job([...MINIMAL, '  command: wc -l']);
    expect(brief(await issuesOf(file))).toEqual([['handler', 4, 'set exactly one of handler.module or handler.command']]);
  });

  it('reports a rule across keys at its path, alongside other errors in the same section', async () => {
    const file = await job([
      'name: wordcount', // 1
      'input:', // 2
      '  path: data/reviews.jsonl', // 3
      '  format: parquet', // 4
      '  materialize: true', // 5
      '  bach: 1', // 6
      'handler:', // 7
      '  module: ./count.ts#countWords', // 8
      'compute:', // 9
      '  dispatcher: slurm', // 10
      '  workers: four', // 11
      '  slurm:', // 12
      '    partiton: gpu', // 13
    ]);
    expect(brief(await issuesOf(file))).toEqual([
      ['input.materialize', 5, 'does not apply to parquet: workers read its row groups with ranged reads; put the files where workers can read them (s3:// or a shared filesystem)'],
      ['input.bach', 6, 'unknown key "bach" (did you mean "batch"?)'],
      ['compute.workers', 11, 'expected an integer from 1 to 10000, found string "four"'],
      ['compute.slurm.partiton', 13, 'unknown key "partiton" (did you mean "partition"?)'],
    ]);
  });

  it('accepts every compute.slurm setting and the external dispatcher', async () => {
    const slurm = await job([...MINIMAL, 'compute:', '  dispatcher: slurm', '  workers: 50', '  slurm:',
      '    partition: gpu', '    account: lab', '    qos: normal', '    time: "02:00:00"', '    cpus_per_task: 4', '    mem: 8G',
      '    gres: "gpu:1"', '    constraint: a100', '    throttle: 10', '    workers: 20', '    extra_args: ["--comment=$HOME `x`"]']);
    const { config } = await loadJobFile(slurm);
    expect(config.compute.slurm).toEqual({
      partition: 'gpu', account: 'lab', qos: 'normal', time: '02:00:00', cpus_per_task: 4, mem: '8G',
      gres: 'gpu:1', constraint: 'a100', throttle: 10, workers: 20, extra_args: ['--comment=$HOME `x`'],
    });
    const external = await job([...MINIMAL, 'compute:', '  dispatcher: external']);
    expect((await loadJobFile(external)).config.compute.dispatcher).toBe('external');
  });

  it('rejects batch.files with a format other than files, at the key used', async () => {
    const file = await job(['name: wordcount', 'input:', '  path: data/reviews.jsonl', '  batch: { files: 10 }', 'handler:', '  module: ./count.ts#countWords']);
    expect(brief(await issuesOf(file))).toEqual([
      ['input.batch.files', 4, 'splits format: files only (input.format is jsonl); use batch.records'],
    ]);
  });

  it('accepts batch.bytes as a size, and csv.multiline', async () => {
    const file = await job(['name: wordcount', 'input:', '  path: data/reviews.jsonl', '  format: csv', '  batch: { bytes: 64MiB }',
      '  csv: { multiline: false }', 'handler:', '  command: cat']);
    const { config } = await loadJobFile(file);
    expect(config.input.batch).toEqual({ bytes: 64 * 1024 * 1024 });
    expect(config.input.csv).toEqual({ delimiter: ',', header: true, quote: '"', multiline: false, relax_quotes: false });
    const zero = await job(['name: wordcount', 'input:', '  path: data/reviews.jsonl', '  batch: { bytes: 0 }', 'handler:', '  command: cat']);
    expect(brief(await issuesOf(zero))).toEqual([['input.batch.bytes', 4, 'expected a size such as "512KiB" or "64MiB", found 0']]);
  });
});

describe('validateJobFile: settings that can never work', () => {
  it('refuses a lease or timeout of 0, and durations and sizes beyond any sense, naming the bounds', async () => {
    const file = await job(['name: wordcount', 'input:', '  path: data/reviews.jsonl', '  batch: { bytes: 2TiB }',
      'handler:', '  command: cat', '  env: {}', 'compute:', '  lease: 0', '  timeout: 0s', '  memory: 1KiB',
      'retry:', '  backoff: { initial: 100000000000000000000, max: 30d, multiplier: 1000 }']);
    expect(brief(await issuesOf(file))).toEqual([
      ['input.batch.bytes', 4, 'expected a size of at most 1TiB, found "2TiB"'],
      ['compute.lease', 9, 'expected a duration of at least 1s and at most 12h, found 0'],
      ['compute.timeout', 10, 'expected a duration of at least 1s and at most 7d, found "0s"'],
      ['compute.memory', 11, 'expected a size of at least 16MiB and at most 1TiB, found "1KiB"'],
      ['retry.backoff.initial', 13, 'expected a duration of at most 1d, found 100000000000000000000'],
      ['retry.backoff.max', 13, 'expected a duration of at most 1d, found "30d"'],
      ['retry.backoff.multiplier', 13, 'expected a number from 1 to 10, found 1000'],
    ]);
  });

  it('refuses inputs it cannot split, naming the fix: a directory without format: files, a FIFO', async () => {
    await mkdir(join(dir, 'data/parts'), { recursive: true });
    execFileSync('mkfifo', [join(dir, 'data/pipe')]);
    const file = await job(['name: wordcount', 'input:', '  path: [data/parts, data/pipe]', 'handler:', '  module: ./count.ts#countWords']);
    expect(brief(await issuesOf(file))).toEqual([
      ['input.path[0]', 3, 'input data/parts is a directory: did you mean format: files (each file under it is a record)? Or name its files with a glob such as data/parts/*.jsonl'],
      ['input.path[1]', 3, 'input data/pipe is a FIFO (named pipe), not a regular file: djc reads an input more than once (to split it, then each batch), '
        + 'which a pipe or device cannot replay; write the data to a file first'],
    ]);
    await writeFile(join(dir, 'data/parts/a.txt'), 'x');
    const files = await job(['name: wordcount', 'input:', '  path: data/parts', '  format: files', 'handler:', '  module: ./count.ts#countWords']);
    expect((await validateJobFile(files)).ok).toBe(true);
  });

  it('refuses an output path that is a directory or cannot be created, and a module that is not a file', async () => {
    await mkdir(join(dir, 'out'), { recursive: true });
    const file = await job([...MINIMAL, 'output:', '  path: out', '  reduce: ./count.ts#countWords']);
    expect(brief(await issuesOf(file))).toEqual([['output.path', 7, 'out is a directory: name the result file, e.g. out/result.jsonl']]);
    const under = await job([...MINIMAL, 'output:', '  path: data/reviews.jsonl/out/x.jsonl']);
    expect(brief(await issuesOf(under))).toEqual([
      ['output.path', 7, `data/reviews.jsonl/out/x.jsonl cannot be created: ${join(dir, 'data/reviews.jsonl')} is a file, not a directory`],
    ]);
    execFileSync('mkfifo', [join(dir, 'pipe.mjs')]);
    const fifo = await job(['name: wordcount', 'input:', '  path: data/reviews.jsonl', 'handler:', '  module: ./pipe.mjs#f']);
    expect(brief(await issuesOf(fifo))).toEqual([['handler.module', 5, `module ./pipe.mjs is a FIFO (named pipe), not a file (looked for ${join(dir, 'pipe.mjs')})`]]);
    const fine = await job([...MINIMAL, 'output:', '  path: new/dir/result.jsonl']);
    expect((await validateJobFile(fine)).ok).toBe(true);
  });

  it('accepts the bounds themselves, and relax_quotes', async () => {
    const file = await job(['name: wordcount', 'input:', '  path: data/reviews.jsonl', '  format: csv', '  csv: { relax_quotes: true }',
      'handler:', '  command: cat', 'compute: { lease: 12h, timeout: 7d }', 'retry: { backoff: { initial: 0, max: 1d } }']);
    const { config } = await loadJobFile(file);
    expect(config.compute).toMatchObject({ lease: 12 * 3_600_000, timeout: 7 * 86_400_000 });
    expect(config.retry.backoff).toMatchObject({ initial: 0, max: 86_400_000 });
    expect(config.input.csv.relax_quotes).toBe(true);
  });
});

describe('validateJobFile: unreadable files', () => {
  it('reports a YAML syntax error with its line and column', async () => {
    const file = await files({ 'job.yaml': 'name: x\ninput:\n  path: [a, b\nhandler: {}\n' });
    const issues = await issuesOf(file);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: '', line: 4, col: 1 });
    expect(issues[0]?.message).toMatch(/^invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a \]$/);
  });

  it('names a duplicate key', async () => {
    const file = await job([...MINIMAL, 'name: again']);
    expect(brief(await issuesOf(file))).toEqual([['', 6, 'invalid YAML: duplicate key "name" (each key may appear once in a mapping)']]);
  });

  it('reports a missing file with the OS error', async () => {
    const file = join(dir, 'nope.yaml');
    expect(await issuesOf(file)).toEqual([{ file, path: '', message: `cannot read ${file}: no such file or directory (ENOENT)` }]);
  });

  it('reports an empty file', async () => {
    const file = await files({ 'job.yaml': '# nothing yet\n' });
    expect(brief(await issuesOf(file))).toEqual([['', undefined, 'the file is empty: a job needs at least name, input and handler']]);
  });
});

describe('substitution', () => {
  const withParams = (...rest: string[]) => [
    'name: subst', // 1
    'parameters: { n: 8, min_length: 3, label: "${params.n}" }', // 2
    'input:', // 3
    '  path: data/reviews.jsonl', // 4
    ...rest,
  ];

  it('gives a whole-string ${params.x} the parameter type and interpolates inside text', async () => {
    const file = await job(
      withParams('handler:', '  command: "score --min ${params.min_length} --home $${HOME} ${HOME}"', 'compute:', '  workers: ${params.n}', 'labels: { l: "${params.label}" }'),
    );
    const { config } = await loadJobFile(file);
    expect(config.compute.workers).toBe(8);
    expect(config.handler.command).toBe('score --min 3 --home ${HOME} ${HOME}');
    // Nothing is substituted inside parameters themselves.
    expect(config.parameters).toEqual({ n: 8, min_length: 3, label: '${params.n}' });
    expect(config.labels).toEqual({ l: '${params.n}' });
  });

  it('applies --set params.x before substitution', async () => {
    const file = await job(withParams('handler:', '  command: "score --min ${params.min_length}"', 'compute:', '  workers: ${params.n}'));
    const { config } = await loadJobFile(file, { set: ['params.min_length=5', 'params.n=2', 'compute.concurrency=3', 'description=from flag'] });
    expect(config.handler.command).toBe('score --min 5');
    expect(config.compute.workers).toBe(2);
    expect(config.compute.concurrency).toBe(3);
    expect(config.description).toBe('from flag');
    expect(config.parameters.min_length).toBe(5);
  });

  it('reports an unknown parameter at the path that uses it, without a second schema error', async () => {
    const file = await job(withParams('handler:', '  command: "score --min ${params.min_len}"', 'compute:', '  workers: ${params.count}'));
    expect(brief(await issuesOf(file))).toEqual([
      ['handler.command', 6, 'unknown parameter min_len in ${params.min_len}; defined parameters: n, min_length, label'],
      ['compute.workers', 8, 'unknown parameter count in ${params.count}; defined parameters: n, min_length, label'],
    ]);
  });

  it('substitutes ${env.X} from the given environment and reports an unset one', async () => {
    const lines = withParams('handler:', '  command: "load --db ${env.DB_URL}"', 'output:', '  path: "out/${env.RUN_ID}.jsonl"');
    const file = await job(lines);
    const { config } = await loadJobFile(file, { env: { DB_URL: 'sqlite://x', RUN_ID: '42' } });
    expect(config.handler.command).toBe('load --db sqlite://x');
    expect(config.output.path).toBe(join(dir, 'out/42.jsonl'));
    expect(brief(await issuesOf(file, { env: { DB_URL: 'sqlite://x' } }))).toEqual([
      ['output.path', 8, 'environment variable RUN_ID is not set (used by ${env.RUN_ID})'],
    ]);
  });

  it('quotes substituted values in shell commands, and inserts ${raw.…} as written', async () => {
    const lines = withParams('handler:', '  command: "score ${params.label} --db ${env.DB} ${raw.params.label}"', 'output:',
      '  path: "out/${params.label}.jsonl"', '  reduce_command: "sort ${params.label}"');
    const file = await job(lines);
    const { config } = await loadJobFile(file, { set: ["params.label=$(touch PWNED) it's"], env: { DB: 'a b' } });
    expect(config.handler.command).toBe(`score '$(touch PWNED) it'\\''s' --db 'a b' $(touch PWNED) it's`);
    expect(config.output.reduce_command).toBe(`sort '$(touch PWNED) it'\\''s'`);
    expect(config.output.path).toBe(join(dir, "out/$(touch PWNED) it's.jsonl"));
    const plain = await loadJobFile(file, { set: ['params.label=5'], env: { DB: 'sqlite://x' } });
    expect(plain.config.handler.command).toBe('score 5 --db sqlite://x 5');
  });

  it('keeps a whole-string parameter in a command a quoted word', async () => {
    const file = await job(withParams('handler:', '  command: "${params.label}"'));
    const { config } = await loadJobFile(file, { set: ['params.label=echo hi'] });
    expect(config.handler.command).toBe(`'echo hi'`);
    const raw = await loadJobFile(await job(withParams('handler:', '  command: "${raw.params.label}"')), { set: ['params.label=echo hi'] });
    expect(raw.config.handler.command).toBe('echo hi');
  });

  it('rejects an unknown ${namespace.x}', async () => {
    const file = await job(withParams('handler:', '  command: "x ${param.n}"'));
    expect(brief(await issuesOf(file))).toEqual([
      ['handler.command', 6, 'unknown substitution ${param.n}: use ${params.NAME} or ${env.NAME} (write $${ for a literal "${")'],
    ]);
  });
});

describe('--set', () => {
  it('applies an unknown top-level key, which the schema then reports without a line', async () => {
    const issues = await issuesOf(await job(MINIMAL), { set: ['workers=8'] });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.line).toBeUndefined();
    expect(issues[0]?.path).toBe('workers');
    expect(issues[0]?.message).toMatch(/^unknown key "workers"; allowed keys: name, .*, deadline \(from --set workers=8\)$/);
  });

  it('reports a malformed flag with the fix', async () => {
    expect(brief(await issuesOf(await job(MINIMAL), { set: ['compute.workers'] }))).toEqual([
      ['', undefined, '--set "compute.workers" is not KEY=VALUE: write e.g. --set params.min_length=4 or --set compute.workers=8'],
    ]);
  });

  it('reads values as YAML scalars and flow lists, and marks bad values as coming from the flag', async () => {
    const file = await job([...MINIMAL, 'compute:', '  workers: 2']);
    const { config } = await loadJobFile(file, { set: ['retry.backoff.jitter=false', 'notification.on=[failed]', 'compute.timeout=90'] });
    expect(config.retry.backoff.jitter).toBe(false);
    expect(config.notification?.on).toEqual(['failed']);
    expect(config.compute.timeout).toBe(90_000);
    expect(brief(await issuesOf(file, { set: ['compute.workers=many'] }))).toEqual([
      ['compute.workers', undefined, 'expected an integer from 1 to 10000, found string "many" (from --set compute.workers=many)'],
    ]);
  });
});

describe('paths', () => {
  it('resolves relative paths against the YAML file directory, not the current directory', async () => {
    const file = await files({
      'jobs/nightly/job.yaml': ['name: nightly', 'input:', '  path: ["../data/*.jsonl", s3://bucket/in/x.jsonl]', 'handler:', '  module: ../lib/h.js', 'output:', '  path: out.jsonl'].join('\n'),
      'jobs/data/a.jsonl': '{}\n',
      'jobs/lib/h.js': 'export default async () => 1;\n',
    });
    expect(relative(process.cwd(), file)).not.toBe(file);
    const { config, baseDir } = await loadJobFile(relative(process.cwd(), file));
    expect(baseDir).toBe(join(dir, 'jobs/nightly'));
    expect(config.input.path).toEqual([join(dir, 'jobs/data/*.jsonl'), 's3://bucket/in/x.jsonl']);
    expect(config.handler.module).toBe(join(dir, 'jobs/lib/h.js'));
    expect(config.output.path).toBe(join(dir, 'jobs/nightly/out.jsonl'));
  });

  it('leaves handler.command alone', async () => {
    const file = await job(['name: cmd', 'input:', '  path: data/reviews.jsonl', 'handler:', '  command: ./score.sh data/x']);
    expect((await loadJobFile(file)).config.handler.command).toBe('./score.sh data/x');
  });

  it('reports missing modules, input files and globs that match nothing', async () => {
    const file = await job([
      'name: wordcount', // 1
      'input:', // 2
      '  path: [data/reviews.jsonl, data/missing.jsonl, "logs/*.jsonl"]', // 3
      'handler:', // 4
      '  module: ./cuont.ts#countWords', // 5
      'output:', // 6
      '  reduce: ./count.ts#merge', // 7
    ]);
    expect(brief(await issuesOf(file))).toEqual([
      ['input.path[1]', 3, `input data/missing.jsonl not found (looked for ${join(dir, 'data/missing.jsonl')})`],
      ['input.path[2]', 3, `input pattern logs/*.jsonl matches no files (looked for ${join(dir, 'logs/*.jsonl')})`],
      ['handler.module', 5, `module ./cuont.ts not found (looked for ${join(dir, 'cuont.ts')})`],
    ]);
  });
});

describe('formatIssue and loadJobFile', () => {
  it('formats file:line:col: path: message, with the file relative to cwd when shorter', () => {
    const file = join(process.cwd(), 'jobs', 'job.yaml');
    expect(formatIssue({ file, path: 'input.batch.records', line: 12, col: 5, message: 'expected a positive integer, found string "abc"' })).toBe(
      `${join('jobs', 'job.yaml')}:12:5: input.batch.records: expected a positive integer, found string "abc"`,
    );
    expect(formatIssue({ file: '/x.yaml', path: '', message: 'the file is empty' })).toBe('/x.yaml: the file is empty');
    expect(formatIssue({ file: '/x.yaml', path: 'workers', message: 'unknown key "workers"' })).toBe('/x.yaml: workers: unknown key "workers"');
  });

  it('throws CONFIG_INVALID with every issue on its own line, the issues as details, and a hint', async () => {
    const file = await job(['name: Bad Name', 'input:', '  path: data/reviews.jsonl', 'handler:', '  module: ./count.ts#countWords', 'retry: { max_attempts: 500 }']);
    const error = await loadJobFile(file).catch((e: unknown) => e);
    expect(isDjcError(error, 'CONFIG_INVALID')).toBe(true);
    if (!isDjcError(error)) return;
    const shown = relative(process.cwd(), file).length < file.length ? relative(process.cwd(), file) : file;
    expect(error.message.split('\n')).toEqual([
      `${shown}:1:7: name: expected 1-64 characters of a-z, 0-9, "_" or "-", found "Bad Name"`,
      `${shown}:6:24: retry.max_attempts: expected an integer from 1 to 100, found 500`,
    ]);
    expect((error.details as ConfigIssue[]).map((i) => i.path)).toEqual(['name', 'retry.max_attempts']);
    expect(error.hint).toBe(`fix these 2 problems in ${shown}; "djc validate ${shown}" checks the file without running anything`);
    expect(exitCodeFor(error)).toBe(2);
  });
});
