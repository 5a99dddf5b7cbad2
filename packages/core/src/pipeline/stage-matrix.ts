/**
 * A stage's matrix as points: its axes (or `rows:` CSV) expanded by
 * matrix.ts, problems placed at the stage's `matrix` keys (CSV problems at
 * the CSV's lines). The CSV joins the snapshot's sources.
 */
import type { PathSeg } from '../config/describe.js';
import type { ConfigIssue, RawIssue } from '../config/issues.js';
import { resolvePath } from '../config/resolve-paths.js';
import type { SourceLog } from './extends.js';
import { expandMatrix } from './matrix.js';
import { readRowsCsv } from './rows-csv.js';
import { MATRIX_KEYS } from './schema.js';
import type { StageDraft } from './stage-draft.js';
import type { Point, PointValue } from './types.js';

export interface StageMatrix {
  /** The points, or null for a stage without a matrix. When !ok, one stand-in point to validate the stage's config with (null: no axes known). */
  points: Point[] | null;
  ok: boolean;
}

interface Sink {
  raw: RawIssue[];
  warnings: RawIssue[];
  direct: ConfigIssue[];
}

export async function expandStageMatrix(draft: StageDraft, baseDir: string, log: SourceLog, sink: Sink): Promise<StageMatrix> {
  const m = draft.matrix;
  if (!m) return { points: null, ok: true };
  const at: PathSeg[] = ['stages', draft.name, 'matrix'];
  const axes = Object.entries(m).filter(([k]) => !(MATRIX_KEYS as readonly string[]).includes(k)) as Array<[string, PointValue[]]>;
  const standIn: Point = Object.fromEntries(axes.map(([k, v]) => [k, v[0] as PointValue]));
  const fail = (message: string, path: PathSeg[] = []): StageMatrix => {
    sink.raw.push({ path: [...at, ...path], anchor: 'key', message });
    return { points: [standIn], ok: false };
  };
  if (draft.matrixInvalid) return { points: [standIn], ok: false };
  let rows: { header: string[]; points: Point[] } | undefined;
  if (m.rows !== undefined) {
    if (axes.length > 0) return fail(`set axes or rows, not both (axes: ${axes.map(([k]) => k).join(', ')})`, ['rows']);
    const read = await readRowsCsv(resolvePath(baseDir, m.rows));
    if (read.source) log.addFile(read.source);
    if (read.issues.length > 0) {
      sink.direct.push(...read.issues);
      const first = read.points[0];
      // Without a header, the axes are unknown: the stage's config is not checked until the CSV is fixed.
      if (read.header.length === 0) return { points: null, ok: false };
      return { points: [first ?? Object.fromEntries(read.header.map((h) => [h, '']))], ok: false };
    }
    rows = read;
  } else if (axes.length === 0) {
    return fail('a matrix needs at least one axis (e.g. lr: [0.1, 0.01]) or rows: a CSV file');
  }
  const result = expandMatrix({ axes: rows ? null : axes, ...(rows ? { rows } : {}), include: m.include, exclude: m.exclude, maxPoints: m.max_points });
  let ok = true;
  for (const p of result.problems) {
    const issue: RawIssue = { path: [...at, ...p.path], anchor: p.path.length === 0 ? 'key' : 'value', message: p.message };
    if (p.warning) sink.warnings.push(issue);
    else {
      sink.raw.push(issue);
      ok = false;
    }
  }
  const standInRows = rows?.points[0] ?? standIn;
  return ok ? { points: result.points, ok } : { points: [standInRows], ok };
}
