/**
 * Loading a job file: read and parse the YAML, apply `--set` overrides,
 * substitute `${params.NAME}` and `${env.NAME}`, validate with the zod schema,
 * check that the files it names exist, and make its paths absolute (relative
 * to the YAML file's directory, never the current directory).
 *
 * Every problem is reported at once, each with its YAML path and line.
 */
import { dirname, relative, resolve } from 'node:path';
import { DjcError } from '../errors.js';
import { formatPath, type JsonSchemaNode, type PathSeg } from './describe.js';
import { mapZodIssues, type ConfigIssue, type RawIssue } from './issues.js';
import { checkHandlers } from './check-handlers.js';
import { checkFilesExist, resolveConfigPaths } from './resolve-paths.js';
import { JobConfigSchema, type JobConfig } from './schema.js';
import { applyOverrides, substitute, type EditProblem, type Override } from './substitute.js';
import { readYamlSource, type YamlSource } from './yaml-source.js';

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
}

export type ValidationResult =
  | { ok: true; job: LoadedJob; warnings: ConfigIssue[] }
  | { ok: false; issues: ConfigIssue[]; warnings: ConfigIssue[] };

let jsonSchemaCache: JsonSchemaNode | undefined;

/** The input-side JSON Schema of the job config: what error messages say is expected. */
function jobJsonSchema(): JsonSchemaNode {
  jsonSchemaCache ??= JobConfigSchema.toJSONSchema({ io: 'input' }) as unknown as JsonSchemaNode;
  return jsonSchemaCache;
}

/** Validates a job file; never throws for a bad file, returns every issue instead. */
export async function validateJobFile(file: string, opts: LoadOptions = {}): Promise<ValidationResult> {
  const configPath = resolve(file);
  const baseDir = dirname(configPath);
  const read = await readYamlSource(configPath);
  if (!read.ok) {
    const issues = read.problems.map((p) => ({ file: configPath, path: '', ...(p.position ?? {}), message: p.message }));
    return { ok: false, issues, warnings: [] };
  }
  const { source } = read;
  if (source.data === null || source.data === undefined) {
    return { ok: false, issues: [{ file: configPath, path: '', message: 'the file is empty: a job needs at least name, input and handler' }], warnings: [] };
  }
  const prepared = prepare(source.data, opts);
  const parsed = JobConfigSchema.safeParse(prepared.data);
  const raw: RawIssue[] = parsed.success ? [] : mapZodIssues(parsed.error.issues, prepared.data, jobJsonSchema());
  raw.push(...(await checkFilesExist(prepared.data, baseDir)));
  const config = parsed.success ? resolveConfigPaths(parsed.data, baseDir) : null;
  const rawWarnings: RawIssue[] = [];
  if (config !== null && opts.checkHandlers) {
    const checked = await checkHandlers(config, baseDir, process.env);
    raw.push(...checked.issues);
    rawWarnings.push(...checked.warnings);
  }
  const issues = collectIssues(configPath, source, prepared, raw);
  const warnings = collectIssues(configPath, source, { ...prepared, problems: [] }, rawWarnings);
  if (issues.length > 0 || config === null) return { ok: false, issues, warnings };
  return { ok: true, job: { config, configPath, baseDir, warnings }, warnings };
}

/** Same as `validateJobFile`, but throws DjcError('CONFIG_INVALID') listing every issue, one per line. */
export async function loadJobFile(file: string, opts: LoadOptions = {}): Promise<LoadedJob> {
  const result = await validateJobFile(file, opts);
  if (result.ok) return result.job;
  const shown = displayPath(resolve(file));
  const n = result.issues.length;
  throw new DjcError('CONFIG_INVALID', result.issues.map(formatIssue).join('\n'), {
    details: result.issues,
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

interface Prepared {
  data: unknown;
  overrides: Override[];
  problems: EditProblem[];
}

/** `--set` overrides first (so parameters can be overridden), then substitution. */
function prepare(data: unknown, opts: LoadOptions): Prepared {
  const isObject = data !== null && typeof data === 'object' && !Array.isArray(data);
  const { overrides, problems } = isObject ? applyOverrides(data as Record<string, unknown>, opts.set ?? []) : { overrides: [], problems: [] };
  const substituted = substitute(data, opts.env ?? process.env);
  return { data: substituted.data, overrides, problems: [...problems, ...substituted.problems] };
}

const startsWith = (path: readonly PathSeg[], prefix: readonly PathSeg[]): boolean =>
  prefix.length <= path.length && prefix.every((seg, i) => path[i] === seg);

/**
 * Locates every issue in the file (values set by --set have no line), drops
 * schema issues caused by a failed substitution (already reported), removes
 * duplicates, and orders them by line.
 */
function collectIssues(file: string, source: YamlSource, prepared: Prepared, raw: RawIssue[]): ConfigIssue[] {
  const substFailed = prepared.problems.filter((p) => !p.fromFlag).map((p) => p.path);
  const consequences = (r: RawIssue): boolean => substFailed.some((p) => startsWith(r.path, p));
  const all = [...prepared.problems.map((p) => ({ ...p, anchor: 'value' as const })), ...raw.filter((r) => !consequences(r))];
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const r of all) {
    const issue = locateIssue(file, source, prepared.overrides, r);
    const key = `${issue.path}\n${issue.message}`;
    if (!seen.has(key)) issues.push(issue);
    seen.add(key);
  }
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

function locateIssue(file: string, source: YamlSource, overrides: Override[], r: RawIssue & { fromFlag?: boolean }): ConfigIssue {
  const override = overrides.find((o) => startsWith(r.path, o.path));
  const base = { file, path: formatPath(r.path) };
  if (r.fromFlag) return { ...base, message: r.message };
  if (override) return { ...base, message: `${r.message} (from --set ${override.flag})` };
  const pos = source.locate(r.path, r.anchor);
  return pos ? { ...base, line: pos.line, col: pos.col, message: r.message } : { ...base, message: r.message };
}
