/**
 * The runs of one stage: per matrix point (or once), `${params.x}`,
 * `${env.X}` and `${matrix.x}` substituted (`${stages.X.output}` kept for
 * the runner), the job part validated as a JobConfig, its files checked,
 * and its paths made absolute. Problems are collected, never thrown.
 */
import type { PathSeg } from '../config/describe.js';
import { formatPath } from '../config/describe.js';
import { mapZodIssues, type RawIssue } from '../config/issues.js';
import { checkFilesExist, resolveConfigPaths } from '../config/resolve-paths.js';
import { JobConfigSchema, type JobConfig } from '../config/schema.js';
import { substituteValue, type EditProblem, type SubstVars } from '../config/substitute.js';
import { stageJsonSchema } from './json-schema.js';
import { displayName } from './matrix.js';
import { isObj, type Obj } from './merge.js';
import { prefixed, type StageDraft } from './stage-draft.js';
import { findTokens } from './tokens.js';
import { UPSTREAM_SCHEME, type Point, type StageRunSpec } from './types.js';

export interface RunsContext {
  pipeline: string;
  baseDir: string;
  labels: Readonly<Record<string, string>>;
  params: Readonly<Record<string, unknown>>;
  vars: SubstVars;
  raw: RawIssue[];
  problems: EditProblem[];
}

/** The pipeline parameters the stage's config references, with their values. */
export function paramsUsedBy(job: Obj, params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const used: Record<string, unknown> = {};
  for (const t of findTokens(job)) if (t.ns === 'params' && Object.hasOwn(params, t.name)) used[t.name] = params[t.name];
  return Object.fromEntries(Object.keys(used).sort().map((k) => [k, used[k]]));
}

/** The runs of a stage, one per point (`points` null: a stage without a matrix). Null when any run is invalid. */
export async function buildRuns(draft: StageDraft, points: readonly Point[] | null, ctx: RunsContext): Promise<StageRunSpec[] | null> {
  const at: PathSeg[] = ['stages', draft.name];
  const paramsUsed = paramsUsedBy(draft.job, ctx.params);
  const seenProblems = new Set<string>();
  const reported = new Set<string>();
  const fileChecks = new Map<string, Promise<RawIssue[]>>();
  const runs: StageRunSpec[] = [];
  let ok = true;
  let first = true;
  for (const point of points ?? [null]) {
    const problems: EditProblem[] = [];
    const vars: SubstVars = { ...ctx.vars, matrix: point ?? (draft.matrix ? {} : null), keep: new Set(['stages']) };
    const job = substituteValue(draft.job, at, vars, problems) as Obj;
    for (const p of problems) {
      const key = `${formatPath(p.path)}\n${p.message}`;
      if (!seenProblems.has(key)) ctx.problems.push(p);
      seenProblems.add(key);
    }
    const name = displayName(draft.name, point);
    const raw = await validateRun(job, draft, paramsUsed, fileChecks, ctx);
    // Issues of the first run stand for every run; later runs add only issues at other paths, naming their point.
    const fresh = raw.issues.filter((r) => !reported.has(formatPath(r.path)));
    for (const r of fresh) reported.add(formatPath(r.path));
    ctx.raw.push(...fresh.map((r) => (!first && point ? { ...r, message: `${r.message} (in ${name})` } : r)));
    first = false;
    if (raw.config === null || problems.length > 0 || raw.issues.length > 0) {
      ok = false;
      continue;
    }
    runs.push({
      stage: draft.name, point, displayName: name, needs: draft.needs, onUpstreamFailure: draft.policy,
      config: raw.config, upstream: draft.upstream ? { from: draft.upstream.from, each: draft.upstream.each, format: draft.upstream.format } : null,
      paramsUsed,
    });
  }
  return ok ? runs : null;
}

async function validateRun(
  job: Obj, draft: StageDraft, paramsUsed: Record<string, unknown>, fileChecks: Map<string, Promise<RawIssue[]>>, ctx: RunsContext,
): Promise<{ issues: RawIssue[]; config: JobConfig | null }> {
  const at: PathSeg[] = ['stages', draft.name];
  const labels = isObj(job.labels) ? { ...ctx.labels, ...job.labels } : (job.labels ?? ctx.labels);
  const candidate: Obj = { ...job, name: ctx.pipeline, parameters: paramsUsed, labels };
  const parsed = JobConfigSchema.safeParse(candidate);
  const issues = parsed.success ? [] : mapZodIssues(parsed.error.issues, candidate, stageJsonSchema()).filter((i) => i.path[0] !== 'name' && i.path[0] !== 'parameters');
  issues.push(...(await checkFiles(job, draft, fileChecks, ctx.baseDir)));
  if (!parsed.success || issues.length > 0) return { issues: prefixed(issues, at), config: null };
  const config = resolveConfigPaths(parsed.data, ctx.baseDir);
  config.name = `${ctx.pipeline}.${draft.name}`;
  if (draft.upstream) config.input = { ...config.input, path: draft.upstream.from.map((s) => `${UPSTREAM_SCHEME}${s}`) };
  return { issues: [], config };
}

/** checkFilesExist, once per distinct set of paths (a matrix rarely changes them); upstream-fed inputs have no files. */
function checkFiles(job: Obj, draft: StageDraft, memo: Map<string, Promise<RawIssue[]>>, baseDir: string): Promise<RawIssue[]> {
  const input = isObj(job.input) && (draft.upstream !== null || draft.noInput) ? { ...job.input, path: undefined } : job.input;
  const subject = { input, handler: job.handler, output: job.output };
  const key = JSON.stringify(subject);
  let found = memo.get(key);
  if (!found) {
    found = checkFilesExist(subject, baseDir);
    memo.set(key, found);
  }
  return found;
}
