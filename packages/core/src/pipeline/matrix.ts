/**
 * Matrix expansion, pure: the cartesian product of the axes in axis order
 * (the last axis varies fastest, as in nested loops), or the rows of a CSV;
 * then `exclude` (an entry naming some axes removes every point with those
 * values), then `include` (extra points, each naming every axis). Unlike
 * GitHub Actions, an include entry never adds keys to existing points:
 * every key must be an axis, so a typo cannot silently widen the matrix.
 * Values compare as text (0.1 and "0.1" are the same point).
 */
import type { Point, PointValue } from './types.js';

export interface MatrixInput {
  /** Axes in the order written, or null when the points come from rows. */
  axes: ReadonlyArray<readonly [string, readonly PointValue[]]> | null;
  /** Rows of a CSV (header = axis names), when `axes` is null. */
  rows?: { header: readonly string[]; points: readonly Point[] };
  include: ReadonlyArray<Readonly<Record<string, PointValue>>>;
  exclude: ReadonlyArray<Readonly<Record<string, PointValue>>>;
  maxPoints: number;
}

/** A problem with one key of the matrix (path below `matrix`). */
export interface MatrixProblem {
  path: Array<string | number>;
  message: string;
  /** A warning: shown, not fatal. */
  warning?: boolean;
}

export interface Expansion {
  points: Point[];
  problems: MatrixProblem[];
}

/** Products beyond this many points are not built even to be counted exactly. */
const BUILD_LIMIT_FACTOR = 10;

export function expandMatrix(m: MatrixInput): Expansion {
  const axisNames = m.axes ? m.axes.map(([name]) => name) : [...(m.rows?.header ?? [])];
  const problems: MatrixProblem[] = [
    ...repeatedValues(m.axes ?? []), ...checkEntries('exclude', m.exclude, axisNames, false), ...checkEntries('include', m.include, axisNames, true),
  ];
  if (problems.length > 0) return { points: [], problems };
  const product = m.axes ? m.axes.reduce((n, [, values]) => n * values.length, 1) : (m.rows?.points.length ?? 0);
  if (product > m.maxPoints * BUILD_LIMIT_FACTOR) return { points: [], problems: [tooMany(product, m.maxPoints)] };
  let points = m.axes ? cartesian(m.axes) : [...(m.rows?.points ?? [])];
  m.exclude.forEach((entry, i) => {
    const before = points.length;
    points = points.filter((p) => !matches(p, entry));
    if (points.length === before) problems.push({ path: ['exclude', i], message: `matches no point of the matrix (${describe(entry)})`, warning: true });
  });
  const seen = new Set(points.map(pointKey));
  m.include.forEach((entry, i) => {
    const point = Object.fromEntries(axisNames.map((a) => [a, entry[a] as PointValue]));
    if (seen.has(pointKey(point))) problems.push({ path: ['include', i], message: `is already a point of the matrix (${describe(point)}): remove it` });
    seen.add(pointKey(point));
    points.push(point);
  });
  if (points.length > m.maxPoints) problems.push(tooMany(points.length, m.maxPoints));
  return { points, problems };
}

function tooMany(n: number, max: number): MatrixProblem {
  return {
    path: [],
    message: `the matrix makes ${n.toLocaleString('en-US')} points, more than max_points (${max.toLocaleString('en-US')}): `
      + 'shrink the axes, exclude points, or raise matrix.max_points',
  };
}

function checkEntries(key: 'include' | 'exclude', entries: MatrixInput['include'], axes: readonly string[], full: boolean): MatrixProblem[] {
  const problems: MatrixProblem[] = [];
  entries.forEach((entry, i) => {
    for (const k of Object.keys(entry)) {
      if (!axes.includes(k)) problems.push({ path: [key, i, k], message: `"${k}" is not an axis of the matrix; axes: ${axes.join(', ') || 'none'}` });
    }
    const missing = axes.filter((a) => !Object.hasOwn(entry, a));
    if (full && missing.length > 0) {
      problems.push({ path: [key, i], message: `an include entry is a whole point: give ${missing.join(', ')} too (djc never adds keys to existing points)` });
    }
    if (!full && Object.keys(entry).length === 0) problems.push({ path: [key, i], message: 'an empty exclude entry would remove every point' });
  });
  return problems;
}

/** A value twice in one axis would make the same point twice. */
function repeatedValues(axes: NonNullable<MatrixInput['axes']>): MatrixProblem[] {
  return axes.flatMap(([name, values]) => {
    const texts = values.map(String);
    return texts.flatMap((t, i) => (texts.indexOf(t) === i ? [] : [{ path: [name, i], message: `${t} is already value ${texts.indexOf(t) + 1} of axis ${name}: every point must differ` }]));
  });
}

function cartesian(axes: NonNullable<MatrixInput['axes']>): Point[] {
  let points: Array<Record<string, PointValue>> = [{}];
  for (const [name, values] of axes) {
    const next: Array<Record<string, PointValue>> = [];
    for (const p of points) for (const v of values) next.push({ ...p, [name]: v });
    points = next;
  }
  return points;
}

const matches = (p: Point, entry: Readonly<Record<string, PointValue>>): boolean =>
  Object.entries(entry).every(([k, v]) => String(p[k]) === String(v));

/** Identity of a point: its values as text, in axis order. */
export const pointKey = (p: Point): string => JSON.stringify(Object.values(p).map(String));

const describe = (p: Readonly<Record<string, PointValue>>): string => Object.entries(p).map(([k, v]) => `${k}=${String(v)}`).join(', ');

/**
 * "train[lr=0.1,depth=4]": the stage name and the point's values in axis
 * order. A value holding anything but letters, digits and . _ + - / : is
 * JSON-quoted ("name=\"a,b\""), so names are stable and unambiguous.
 */
export function displayName(stage: string, point: Point | null): string {
  if (point === null) return stage;
  const values = Object.entries(point).map(([k, v]) => `${k}=${showValue(v)}`);
  return `${stage}[${values.join(',')}]`;
}

function showValue(v: PointValue): string {
  const s = String(v);
  return /^[\w.+\-/:]+$/.test(s) ? s : JSON.stringify(s);
}
