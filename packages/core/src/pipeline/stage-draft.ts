/**
 * One stage as written, before its runs are built: its `extends` followed,
 * `defaults` merged under it, its pipeline keys (needs, matrix,
 * on_upstream_failure) parsed, and its input split into files or upstream
 * stages. Problems are collected, never thrown.
 */
import type { PathSeg } from '../config/describe.js';
import type { RawIssue } from '../config/issues.js';
import { mapZodIssues } from '../config/issues.js';
import { substituteValue, type EditProblem, type SubstVars } from '../config/substitute.js';
import { resolveExtends, type ExtendsProblem, type SourceLog } from './extends.js';
import type { Layer } from './locate.js';
import { deepMerge, isObj, type Obj } from './merge.js';
import { suggest } from '../config/describe.js';
import { DEFAULT_MAX_POINTS, MATRIX_KEYS, StageExtrasSchema, UpstreamInputSchema, type MatrixConfig } from './schema.js';
import { stageJsonSchema } from './json-schema.js';
import type { UpstreamPolicy } from './types.js';
import type { YamlSource } from '../config/yaml-source.js';

export interface StageDraft {
  name: string;
  /** The job part of the stage (no needs/matrix/on_upstream_failure/extends; input without from/each). */
  job: Obj;
  needs: string[];
  policy: UpstreamPolicy;
  /** The parsed matrix (params substituted), or null. */
  matrix: MatrixConfig | null;
  /** The matrix did not parse (reported): `matrix` holds its well-formed axes only, not to be expanded. */
  matrixInvalid: boolean;
  /** Upstream stages read by input.from (fromList: written as a list), or null for a file input. */
  upstream: { from: string[]; fromList: boolean; each: 'batch' | null; format: string | null } | null;
  /** True when the stage has neither input.path nor input.from (already reported). */
  noInput: boolean;
  /** Layers that locate this stage's values (its file keys, its extends chain, defaults). */
  layers: Layer[];
}

export interface DraftContext {
  configPath: string;
  mainSource: YamlSource;
  /** The main file, then what it extends (layers mapped [] → []). */
  fileLayers: readonly Layer[];
  defaults: unknown;
  vars: SubstVars;
  log: SourceLog;
  raw: RawIssue[];
  problems: EditProblem[];
  extendsProblems: ExtendsProblem[];
}

const EXTRA_KEYS = ['needs', 'matrix', 'on_upstream_failure'] as const;

export async function draftStage(name: string, written: Obj, ctx: DraftContext): Promise<StageDraft> {
  const at: PathSeg[] = ['stages', name];
  const ext = await resolveExtends(written, { file: ctx.configPath, source: ctx.mainSource, where: at }, 'stage', ctx.log);
  ctx.extendsProblems.push(...ext.problems);
  const merged = deepMerge(isObj(ctx.defaults) ? ctx.defaults : {}, ext.data) as Obj;
  const layers: Layer[] = [
    ...ctx.fileLayers.map((l) => ({ ...l, from: at, to: at })),
    ...ext.bases.map((b) => ({ file: b.file, source: b.source, from: at, to: [] })),
    ...ctx.fileLayers.map((l) => ({ ...l, from: at, to: ['defaults'] })),
  ];
  for (const key of ['name', 'parameters'] as const) {
    if (key in merged) {
      const why = key === 'name' ? 'a stage is named by its key under stages: (its runs are <pipeline>.<stage>)' : 'parameters belong at the top of the pipeline file';
      ctx.raw.push({ path: [...at, key], anchor: 'key', message: `unknown key "${key}" in a stage: ${why}` });
    }
  }
  const extras = parseExtras(merged, at, ctx);
  const job: Obj = {};
  for (const [k, v] of Object.entries(merged)) if (!(EXTRA_KEYS as readonly string[]).includes(k) && k !== 'name' && k !== 'parameters') job[k] = v;
  const input = splitInput(job, at, ctx);
  return { name, job, ...extras, ...input, layers };
}

function parseExtras(merged: Obj, at: PathSeg[], ctx: DraftContext): Pick<StageDraft, 'needs' | 'policy' | 'matrix' | 'matrixInvalid'> {
  const written: Obj = {};
  for (const k of EXTRA_KEYS) if (merged[k] !== undefined) written[k] = merged[k];
  const data = substituteValue(written, at, { ...ctx.vars, matrix: undefined }, ctx.problems) as Obj;
  const parsed = StageExtrasSchema.safeParse(data);
  if (parsed.success) return { needs: parsed.data.needs, policy: parsed.data.on_upstream_failure, matrix: parsed.data.matrix ?? null, matrixInvalid: false };
  const issues = mapZodIssues(parsed.error.issues, data, stageJsonSchema()).map((i) => matrixKeyIssue(i, data.matrix));
  ctx.raw.push(...prefixed(issues, at));
  const needs = Array.isArray(data.needs) ? data.needs.filter((n): n is string => typeof n === 'string') : typeof data.needs === 'string' ? [data.needs] : [];
  const policy = parsed.error.issues.some((i) => i.path[0] === 'on_upstream_failure') ? 'skip' : StageExtrasSchema.shape.on_upstream_failure.parse(data.on_upstream_failure);
  return { needs, policy, matrix: isObj(data.matrix) ? lenientMatrix(data.matrix) : null, matrixInvalid: isObj(data.matrix) || data.matrix !== undefined };
}

/** A matrix that did not parse, kept as its axes only: the stage's `${matrix.x}` are still checked against them. */
function lenientMatrix(m: Obj): MatrixConfig {
  const axes = Object.entries(m).filter(([k, v]) => !(MATRIX_KEYS as readonly string[]).includes(k) && Array.isArray(v) && v.length > 0);
  const out = { include: [], exclude: [], max_points: DEFAULT_MAX_POINTS, tolerated_failure: { count: 0 } } as unknown as MatrixConfig;
  for (const [k, v] of axes) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** "max_point: 5" under matrix is read as an axis: say it is a misspelled key, or that an axis is a list. */
function matrixKeyIssue(issue: RawIssue, matrix: unknown): RawIssue {
  const [first, key, ...rest] = issue.path;
  if (first !== 'matrix' || typeof key !== 'string' || rest.length > 0 || (MATRIX_KEYS as readonly string[]).includes(key)) return issue;
  if (!isObj(matrix) || Array.isArray(matrix[key])) return issue;
  const guess = suggest(key, MATRIX_KEYS);
  const message = guess
    ? `unknown key "${key}" (did you mean "${guess}"?); any other key is an axis, a list of values`
    : `${issue.message}: an axis is a list of values (matrix keys: ${MATRIX_KEYS.join(', ')})`;
  return { ...issue, anchor: guess ? 'key' : issue.anchor, message };
}

/** A placeholder path that lets an upstream-fed input validate as a job input; replaced by UPSTREAM_SCHEME entries after. */
export const VALIDATION_PATH = 'upstream-input';

function splitInput(job: Obj, at: PathSeg[], ctx: DraftContext): Pick<StageDraft, 'upstream' | 'noInput'> {
  const input = job.input;
  const hasFrom = isObj(input) && (input.from !== undefined || input.each !== undefined);
  if (!hasFrom) {
    if (isObj(input) && input.path !== undefined) return { upstream: null, noInput: false };
    ctx.raw.push({
      path: isObj(input) ? [...at, 'input', 'path'] : [...at, 'input'], anchor: 'parent',
      message: 'a stage reads files (input.path) or upstream stages (input.from): set one',
    });
    job.input = { ...(isObj(input) ? input : {}), path: VALIDATION_PATH };
    return { upstream: null, noInput: true };
  }
  const { from, each, ...rest } = input;
  const parsed = UpstreamInputSchema.safeParse({ from, each });
  if (!parsed.success) ctx.raw.push(...prefixed(mapZodIssues(parsed.error.issues, { from, each }, stageJsonSchema().properties?.input ?? {}), [...at, 'input']));
  if (rest.path !== undefined) {
    ctx.raw.push({ path: [...at, 'input', 'path'], anchor: 'key', message: 'set one of input.path (files) or input.from (upstream stages), not both' });
  }
  job.input = { ...rest, path: VALIDATION_PATH };
  const format = typeof rest.format === 'string' ? rest.format : null;
  if (!parsed.success) return { upstream: null, noInput: true };
  return { upstream: { from: parsed.data.from, fromList: Array.isArray(from), each: parsed.data.each ?? null, format }, noInput: false };
}

export function prefixed(issues: RawIssue[], at: PathSeg[]): RawIssue[] {
  return issues.map((i) => ({ ...i, path: [...at, ...i.path] }));
}
