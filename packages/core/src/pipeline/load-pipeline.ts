/**
 * Loading a pipeline file (one with `stages:`): `--set` overrides, each
 * stage's `extends` and `defaults`, the graph and input checks, the matrix
 * expansion, every run's config validated as a job config, and the
 * resulting PipelineSpec, self-contained (a snapshot of every file read).
 * Every problem is reported at once, each with its file, YAML path and line.
 */
import type { PathSeg } from '../config/describe.js';
import { checkHandlers } from '../config/check-handlers.js';
import { mapZodIssues, type ConfigIssue, type RawIssue } from '../config/issues.js';
import { collectIssues, sortIssues, type LoadOptions } from '../config/load.js';
import { applyOverrides, substituteValue, type EditProblem, type SubstVars } from '../config/substitute.js';
import { extendsIssue, type ReadFile } from './read-file.js';
import type { ExtendsProblem } from './extends.js';
import { pipelineJsonSchema } from './json-schema.js';
import type { Layer } from './locate.js';
import { isObj, type Obj } from './merge.js';
import { checkStageRefs } from './check-refs.js';
import { checkGraph, topologicalOrder } from './graph.js';
import { expandStageMatrix } from './stage-matrix.js';
import { NAME_RE, PipelineFileSchema } from './schema.js';
import { draftStage, type StageDraft } from './stage-draft.js';
import { buildRuns } from './stage-runs.js';
import type { PipelineSpec, StageRunSpec, SweepSpec } from './types.js';

export interface LoadedPipeline {
  spec: PipelineSpec;
  /** Absolute path of the YAML file. */
  configPath: string;
  /** Its directory, against which relative paths were resolved. */
  baseDir: string;
  /** What may stop a stage but need not: shown, never fatal. */
  warnings: ConfigIssue[];
}

export type PipelineValidation =
  | { ok: true; pipeline: LoadedPipeline; warnings: ConfigIssue[] }
  | { ok: false; issues: ConfigIssue[]; warnings: ConfigIssue[] };

interface Collect {
  raw: RawIssue[];
  warnings: RawIssue[];
  problems: EditProblem[];
  extendsProblems: ExtendsProblem[];
  direct: ConfigIssue[];
}

/** Validates a pipeline file already read (with what it extends); never throws for a bad file. */
export async function validatePipelineData(read: ReadFile, opts: LoadOptions): Promise<PipelineValidation> {
  const c: Collect = { raw: [], warnings: [], problems: [], extendsProblems: [], direct: [...read.issues] };
  const data = structuredClone(read.data) as Obj;
  const applied = applyOverrides(data, everyStage(opts.set ?? [], data));
  const setProblems = applied.problems;
  // A value set in defaults by --set shows in every stage: its issues there name the flag too.
  const stageNames = isObj(data.stages) ? Object.keys(data.stages) : [];
  const overrides = applied.overrides.flatMap((o) => (o.path[0] === 'defaults' ? [o, ...stageNames.map((s) => ({ ...o, path: ['stages', s, ...o.path.slice(1)] }))] : [o]));
  c.problems.push(...setProblems);
  const top = parseTop(data, opts, c);
  const stagesData = isObj(data.stages) ? data.stages : {};
  const drafts: StageDraft[] = [];
  const layers: Layer[] = [];
  for (const [name, written] of Object.entries(stagesData)) {
    if (!NAME_RE.test(name)) c.raw.push({ path: ['stages', name], anchor: 'key', message: `stage name ${JSON.stringify(name)}: expected 1-64 characters of a-z, 0-9, "_" or "-"` });
    if (!isObj(written)) continue;
    const draft = await draftStage(name, written, {
      configPath: read.configPath, mainSource: read.source, fileLayers: read.layers, defaults: inheritedDefaults(data),
      vars: top.vars, log: read.log, raw: c.raw, problems: c.problems, extendsProblems: c.extendsProblems,
    });
    drafts.push(draft);
    layers.push(...draft.layers);
  }
  layers.push(...read.layers);
  for (const p of checkGraph(drafts.map((d) => [d.name, d.needs]))) {
    c.raw.push({ path: ['stages', p.stage, 'needs', ...(p.index === null ? [] : [p.index])], anchor: p.index === null ? 'key' : 'value', message: p.message });
  }
  checkStageRefs(drafts, c.raw, c.problems);
  const runs = new Map<string, StageRunSpec[]>();
  const sweeps: SweepSpec[] = [];
  let complete = top.ok;
  for (const draft of drafts) {
    const { points, ok: matrixOk } = await expandStageMatrix(draft, read.baseDir, read.log, c);
    if (draft.matrix && points === null) {
      complete = false;
      continue;
    }
    const built = await buildRuns(draft, points, {
      pipeline: top.name, baseDir: read.baseDir, labels: top.labels, params: top.params, vars: top.vars, raw: c.raw, problems: c.problems,
    });
    if (built === null || !matrixOk) complete = false;
    else runs.set(draft.name, built);
    if (draft.matrix && points && matrixOk) {
      sweeps.push({ stage: draft.name, maxParallel: draft.matrix.max_parallel ?? null, toleratedFailure: draft.matrix.tolerated_failure, points: points.length });
    }
  }
  if (complete && opts.checkHandlers && c.raw.length === 0) await checkStageHandlers(drafts, runs, read.baseDir, c, opts.moduleCheckCache);
  const issues = sortIssues([...c.direct, ...c.extendsProblems.map(extendsIssue), ...collectIssues(layers, { data, overrides, problems: c.problems }, c.raw)], read.configPath);
  const warnings = collectIssues(layers, { data, overrides, problems: [] }, c.warnings);
  if (issues.length > 0 || !complete) return { ok: false, issues, warnings };
  const order = topologicalOrder(drafts.map((d) => [d.name, d.needs]));
  const spec: PipelineSpec = {
    v: 1, name: top.name, ...(top.description === undefined ? {} : { description: top.description }), labels: top.labels, parameters: top.params,
    order, runs: order.flatMap((s) => runs.get(s) ?? []), sweeps, sources: [...read.log.files],
  };
  return { ok: true, pipeline: { spec, configPath: read.configPath, baseDir: read.baseDir, warnings }, warnings };
}

/** `defaults`, with the pipeline's `priority` under them: every stage run inherits it unless it (or defaults) sets its own. */
function inheritedDefaults(data: Obj): unknown {
  if (data.priority === undefined) return data.defaults;
  return { priority: data.priority, ...(isObj(data.defaults) ? data.defaults : {}) };
}

const PIPELINE_KEYS = new Set(Object.keys(PipelineFileSchema.shape));

/**
 * A --set of a job key ("compute.workers=8", "fail_fast=false" from
 * --keep-going) sets it in every stage, over the stage's own value; keys of
 * the pipeline file ("params.x", "stages.a.…", "defaults.…") as written.
 */
function everyStage(sets: readonly string[], data: Obj): string[] {
  const stages = isObj(data.stages) ? Object.keys(data.stages) : [];
  return sets.flatMap((flag) => {
    const first = /^\s*([^.=[]+)/.exec(flag)?.[1] ?? '';
    if (first === 'params' || PIPELINE_KEYS.has(first) || !flag.includes('=') || stages.length === 0) return [flag];
    return stages.map((s) => `stages.${s}.${flag.trim()}`);
  });
}

interface Top {
  ok: boolean;
  name: string;
  description?: string;
  labels: Record<string, string>;
  params: Record<string, unknown>;
  vars: SubstVars;
}

/** The top-level keys: name, description, labels substituted; stages and defaults only checked for shape here. */
function parseTop(data: Obj, opts: LoadOptions, c: Collect): Top {
  const params = isObj(data.parameters) ? data.parameters : {};
  const vars: SubstVars = { params, env: opts.env ?? process.env };
  const shown: Obj = { ...data };
  for (const key of ['name', 'description', 'labels'] as const) {
    if (data[key] !== undefined) shown[key] = substituteValue(data[key], [key], vars, c.problems);
  }
  const parsed = PipelineFileSchema.safeParse(shown);
  if (!parsed.success) c.raw.push(...mapZodIssues(parsed.error.issues, shown, pipelineJsonSchema()));
  if (isObj(data.stages) && Object.keys(data.stages).length === 0) {
    c.raw.push({ path: ['stages'], anchor: 'key', message: 'a pipeline needs at least one stage' });
  }
  const name = typeof shown.name === 'string' ? shown.name : 'pipeline';
  if (!parsed.success) return { ok: false, name, labels: {}, params: parsed.success ? {} : { ...params }, vars };
  const p = parsed.data;
  return { ok: true, name: p.name, ...(p.description === undefined ? {} : { description: p.description }), labels: p.labels, params: p.parameters, vars: { ...vars, params: p.parameters } };
}

async function checkStageHandlers(drafts: readonly StageDraft[], runs: Map<string, StageRunSpec[]>, baseDir: string, c: Collect, cacheDir: string | undefined): Promise<void> {
  await Promise.all(drafts.map(async (d) => {
    const first = runs.get(d.name)?.[0];
    if (!first) return;
    const checked = await checkHandlers(first.config, baseDir, process.env, cacheDir);
    const at: PathSeg[] = ['stages', d.name];
    c.raw.push(...checked.issues.map((i) => ({ ...i, path: [...at, ...i.path] })));
    c.warnings.push(...checked.warnings.map((i) => ({ ...i, path: [...at, ...i.path] })));
  }));
}

