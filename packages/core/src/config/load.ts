/**
 * Loading a job file: read and parse the YAML, apply `--set` overrides,
 * substitute `${params.NAME}` and `${env.NAME}`, validate with the zod schema,
 * check that the files it names exist, and make its paths absolute (relative
 * to the YAML file's directory, never the current directory).
 *
 * Every problem is reported at once, each with its YAML path and line.
 */
import { relative, resolve } from 'node:path';
import { DjcError } from '../errors.js';
import { formatPath, type JsonSchemaNode, type PathSeg } from './describe.js';
import { mapZodIssues, type ConfigIssue, type RawIssue } from './issues.js';
import { checkHandlers } from './check-handlers.js';
import { checkFilesExist, resolveConfigPaths } from './resolve-paths.js';
import { fastJobConfig } from './fast-check.js';
import type { JobConfig } from './schema.js';
import { applyOverrides, substitute, type EditProblem, type Override } from './substitute.js';
import { locateIn, type Layer } from '../pipeline/locate.js';
import { readWorkflowSource, type ReadFile } from '../pipeline/read-file.js';
import type { SourceFile } from '../pipeline/types.js';

export type { ConfigIssue } from './issues.js';

export interface LoadOptions {
  /** "--set" overrides: "params.x=1" sets parameters.x; any other dotted path ("compute.workers=8") sets that key. Value parsed as YAML scalar (8 → number, true → boolean, abc → string). */
  set?: string[];
  /** Environment for ${env.X} (default process.env). */
  env?: Record<string, string | undefined>;
  /**
   * Also check what the job will run (check-handlers.ts): load handler.module
   * and output.reduce in a child process (compiles? exports the function?),
   * and look up the program of handler.command. What `djc validate`, `run`
   * and `submit` do; off by default (it starts a process).
   */
  checkHandlers?: boolean;
  /** With checkHandlers: a directory remembering module refs found good, so an unchanged module is not loaded again (module-probe-cache.ts). */
  moduleCheckCache?: string;
  /** Where relative paths resolve instead of the file's directory (a job sent to the HTTP API is stored elsewhere). */
  baseDir?: string;
}

export interface LoadedJob {
  /** Validated config: defaults filled, durations in ms, sizes in bytes, paths absolute. */
  config: JobConfig;
  /** Absolute path of the YAML file. */
  configPath: string;
  /** Its directory, against which relative paths were resolved. */
  baseDir: string;
  /** What may stop the job but need not (e.g. a command not on PATH here, for Slurm workers): shown, never fatal. */
  warnings?: ConfigIssue[];
  /** The file and every file it extends, with their sha256: the config is their merged snapshot. */
  sources?: readonly SourceFile[];
}

export type ValidationResult =
  | { ok: true; job: LoadedJob; warnings: ConfigIssue[] }
  | { ok: false; issues: ConfigIssue[]; warnings: ConfigIssue[] };

let jsonSchemaCache: JsonSchemaNode | undefined;

/** The input-side JSON Schema of the job config: what error messages say is expected. */
function jobJsonSchema(schema: typeof import('./schema.js').JobConfigSchema): JsonSchemaNode {
  jsonSchemaCache ??= schema.toJSONSchema({ io: 'input' }) as unknown as JsonSchemaNode;
  return jsonSchemaCache;
}

type Parsed = { success: true; data: JobConfig } | { success: false; raw: RawIssue[] };

/**
 * The job config validated: by hand when it is one the fast check knows to
 * be valid (what zod would return, checked by fast-check.test.ts), else by
 * the zod schema, imported only then (its library, the schema's build and
 * first parse were ~65 ms of a submit's CPU), whose issues explain it.
 */
async function parseJobConfig(data: unknown): Promise<Parsed> {
  const fast = fastJobConfig(data);
  if (fast !== null) return { success: true, data: fast };
  const { JobConfigSchema } = await import('./schema.js');
  const parsed = JobConfigSchema.safeParse(data);
  return parsed.success ? parsed : { success: false, raw: mapZodIssues(parsed.error.issues, data, jobJsonSchema(JobConfigSchema)) };
}

/** Validates a job file; never throws for a bad file, returns every issue instead. */
export async function validateJobFile(file: string, opts: LoadOptions = {}): Promise<ValidationResult> {
  const read = await readWorkflowSource(resolve(file));
  if (!read.ok) return { ok: false, issues: read.issues, warnings: [] };
  if (isPipelineData(read.file.data)) {
    const issue = { file: read.file.configPath, path: 'stages', message: 'this is a pipeline file (it has stages:), not a job file' };
    return { ok: false, issues: [issue], warnings: [] };
  }
  return validateJobData(read.file, opts);
}

/** True when the (merged) data of a file is a pipeline: it has `stages:`. */
export function isPipelineData(data: unknown): boolean {
  return data !== null && typeof data === 'object' && !Array.isArray(data) && 'stages' in data;
}

/** Validates the data of a job file already read (with what it extends). */
export async function validateJobData(read: ReadFile, opts: LoadOptions): Promise<ValidationResult> {
  const { configPath, baseDir } = read;
  if (read.data === null || read.data === undefined) {
    return { ok: false, issues: [{ file: configPath, path: '', message: 'the file is empty: a job needs at least name, input and handler' }], warnings: [] };
  }
  const prepared = prepare(read.data, opts);
  const parsed = await parseJobConfig(prepared.data);
  const raw: RawIssue[] = parsed.success ? [] : parsed.raw;
  raw.push(...(await checkFilesExist(prepared.data, baseDir)));
  const config = parsed.success ? resolveConfigPaths(parsed.data, baseDir) : null;
  const rawWarnings: RawIssue[] = [];
  if (config !== null && opts.checkHandlers) {
    const checked = await checkHandlers(config, baseDir, process.env, opts.moduleCheckCache);
    raw.push(...checked.issues);
    rawWarnings.push(...checked.warnings);
  }
  const issues = [...read.issues, ...collectIssues(read.layers, prepared, raw)];
  const warnings = collectIssues(read.layers, { ...prepared, problems: [] }, rawWarnings);
  if (issues.length > 0 || config === null) return { ok: false, issues: sortIssues(issues, configPath), warnings };
  return { ok: true, job: { config, configPath, baseDir, warnings, sources: read.log.files }, warnings };
}

/** Same as `validateJobFile`, but throws DjcError('CONFIG_INVALID') listing every issue, one per line. */
export async function loadJobFile(file: string, opts: LoadOptions = {}): Promise<LoadedJob> {
  const result = await validateJobFile(file, opts);
  if (result.ok) return result.job;
  throw configInvalid(file, result.issues);
}

/** DjcError('CONFIG_INVALID') listing every issue, one per line, with the hint to run djc validate. */
export function configInvalid(file: string, issues: readonly ConfigIssue[]): DjcError {
  const shown = displayPath(resolve(file));
  const n = issues.length;
  return new DjcError('CONFIG_INVALID', issues.map(formatIssue).join('\n'), {
    details: issues,
    hint: `fix ${n === 1 ? 'this problem' : `these ${n} problems`} in ${shown}; "djc validate ${shown}" checks the file without running anything`,
  });
}

/** "job.yaml:12:5: input.batch.records: expected a positive integer, found string \"abc\"" (file relative to cwd when shorter). */
export function formatIssue(issue: ConfigIssue): string {
  let where = displayPath(issue.file);
  if (issue.line !== undefined) where += `:${issue.line}${issue.col !== undefined ? `:${issue.col}` : ''}`;
  return `${where}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel !== '' && rel.length < abs.length ? rel : abs;
}

export interface Prepared {
  data: unknown;
  overrides: Override[];
  problems: EditProblem[];
}

/** `--set` overrides first (so parameters can be overridden), then substitution. */
export function prepare(data: unknown, opts: LoadOptions): Prepared {
  const isObject = data !== null && typeof data === 'object' && !Array.isArray(data);
  const { overrides, problems } = isObject ? applyOverrides(data as Record<string, unknown>, opts.set ?? []) : { overrides: [], problems: [] };
  const substituted = substitute(data, opts.env ?? process.env);
  return { data: substituted.data, overrides, problems: [...problems, ...substituted.problems] };
}

const startsWith = (path: readonly PathSeg[], prefix: readonly PathSeg[]): boolean =>
  prefix.length <= path.length && prefix.every((seg, i) => path[i] === seg);

/**
 * Locates every issue in the file that set the value (values set by --set
 * have no line), drops schema issues caused by a failed substitution
 * (already reported), removes duplicates, and orders them by line.
 */
export function collectIssues(layers: readonly Layer[], prepared: Prepared, raw: RawIssue[]): ConfigIssue[] {
  const substFailed = prepared.problems.filter((p) => !p.fromFlag).map((p) => p.path);
  const consequences = (r: RawIssue): boolean => substFailed.some((p) => startsWith(r.path, p));
  const all = [...prepared.problems.map((p) => ({ ...p, anchor: 'value' as const })), ...raw.filter((r) => !consequences(r))];
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const r of all) {
    const issue = locateIssue(layers, prepared.overrides, r);
    const key = `${issue.file}\n${issue.path}\n${issue.message}`;
    if (!seen.has(key)) issues.push(issue);
    seen.add(key);
  }
  return sortIssues(issues);
}

/** Issues of the main file (`main`, else the first issue's) first, by line; then those of other files, each by line. */
export function sortIssues(issues: ConfigIssue[], main?: string): ConfigIssue[] {
  const files = [...new Set([...(main === undefined ? [] : [main]), ...issues.map((i) => i.file)])];
  return issues.sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

function locateIssue(layers: readonly Layer[], overrides: Override[], r: RawIssue & { fromFlag?: boolean }): ConfigIssue {
  const main = layers[0]?.file ?? '';
  const override = overrides.find((o) => startsWith(r.path, o.path));
  const base = { file: main, path: formatPath(r.path) };
  if (r.fromFlag) return { ...base, message: r.message };
  if (override) return { ...base, message: `${r.message} (from --set ${override.flag})` };
  const found = locateIn(layers, r.path, r.anchor);
  if (!found) return { ...base, message: r.message };
  return { file: found.file, path: formatPath(found.path), ...(found.position ?? {}), message: r.message };
}
