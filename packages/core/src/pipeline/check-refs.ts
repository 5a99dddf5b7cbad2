/**
 * What a stage says about other stages, checked against the graph: `from`
 * names stages in its needs; `each: batch` reads one upstream whose batch
 * outputs are its result's parts (no matrix, no reducer); reading a whole
 * result needs an upstream that has one (not `aggregate: none`);
 * `${stages.X.output}` names a stage in needs with one run.
 */
import type { PathSeg } from '../config/describe.js';
import type { RawIssue } from '../config/issues.js';
import type { EditProblem } from '../config/substitute.js';
import { isObj, type Obj } from './merge.js';
import type { StageDraft } from './stage-draft.js';
import { findTokens } from './tokens.js';

/** Issues about `${stages.X.output}` go to `problems` (shown even where a substitution failed), the others to `raw`. */
export function checkStageRefs(drafts: readonly StageDraft[], raw: RawIssue[], problems: EditProblem[]): void {
  const byName = new Map(drafts.map((d) => [d.name, d]));
  for (const d of drafts) {
    checkFrom(d, byName, raw);
    for (const t of findTokens(d.job, ['stages', d.name])) {
      if (t.ns !== 'stages') continue;
      const [stage, field, ...more] = t.name.split('.');
      const at = (message: string): void => void problems.push({ path: t.path, message: `${t.token}: ${message}` });
      if (t.path[2] === 'input' && t.path[3] === 'path') at(`input.path names files; to read ${stage ?? 'an upstream stage'}'s result write input: { from: ${stage ?? 'NAME'} } (with it in needs)`);
      else if (field !== 'output' || more.length > 0 || !stage) at('write ${stages.NAME.output} (the location of an upstream stage\'s result)');
      else if (!byName.has(stage)) at(`unknown stage "${stage}"`);
      else if (!d.needs.includes(stage)) at(`${stage} is not in needs: add it to this stage's needs, so its result exists when this stage runs`);
      else if (byName.get(stage)?.matrix) at(`${stage} has a matrix, so it has one result per point: read them with input.from instead`);
    }
  }
}

function checkFrom(d: StageDraft, byName: Map<string, StageDraft>, raw: RawIssue[]): void {
  if (!d.upstream) return;
  const input = d.job.input as Obj;
  const at: PathSeg[] = ['stages', d.name, 'input'];
  const { from, each } = d.upstream;
  from.forEach((up, i) => {
    const path: PathSeg[] = [...at, 'from', ...(d.upstream?.fromList ? [i] : [])];
    const upstream = byName.get(up);
    if (!upstream) raw.push({ path, anchor: 'value', message: `unknown stage "${up}"; stages: ${[...byName.keys()].join(', ')}` });
    else if (!d.needs.includes(up)) raw.push({ path, anchor: 'value', message: `${up} is not in needs: add it to this stage's needs (a stage reads only stages it waits for)` });
    if (!upstream) return;
    const out = isObj(upstream.job.output) ? upstream.job.output : {};
    if (each === 'batch') {
      const eachAt = { path: [...at, 'each'], anchor: 'value' as const };
      if (upstream.matrix) raw.push({ ...eachAt, message: `each: batch reads the batches of one run, but ${up} has a matrix (one run per point): read their results without each` });
      const folder = out.reduce !== undefined ? 'output.reduce' : out.reduce_command !== undefined ? 'output.reduce_command' : null;
      if (folder) raw.push({ ...eachAt, message: `each: batch reads ${up}'s batch outputs, but ${up} folds them into one result with ${folder}: drop each (read the result) or the reducer` });
    } else if (out.aggregate === 'none') {
      raw.push({ path, anchor: 'value', message: `${up} keeps per-batch outputs only (output.aggregate: none), so it has no result to read: add each: batch, or use aggregate: concat in ${up}` });
    }
  });
  if (each === 'batch' && from.length > 1) {
    raw.push({ path: [...at, 'each'], anchor: 'value', message: `each: batch reads one upstream stage, but from names ${from.length} (${from.join(', ')}): drop each, or read one stage` });
  }
  if (each === 'batch' && input.batch !== undefined) {
    raw.push({ path: [...at, 'batch'], anchor: 'key', message: 'with each: batch, the batches are the upstream\'s (one per upstream task): remove input.batch' });
  }
}
