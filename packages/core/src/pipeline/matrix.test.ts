import { describe, expect, it } from 'vitest';
import { displayName, expandMatrix, type MatrixInput } from './matrix.js';

const base = { include: [], exclude: [], maxPoints: 1000 };
const axes = (...a: Array<[string, Array<string | number | boolean>]>): MatrixInput['axes'] => a;

describe('expandMatrix', () => {
  const cases: Array<[string, MatrixInput, unknown[]]> = [
    ['the product in axis order, the last axis fastest', { ...base, axes: axes(['lr', [0.1, 0.01]], ['depth', [4, 8]]) },
      [{ lr: 0.1, depth: 4 }, { lr: 0.1, depth: 8 }, { lr: 0.01, depth: 4 }, { lr: 0.01, depth: 8 }]],
    ['exclude: a whole point', { ...base, axes: axes(['a', [1, 2]], ['b', ['x', 'y']]), exclude: [{ a: 2, b: 'y' }] },
      [{ a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 2, b: 'x' }]],
    ['exclude: a partial point removes every point with those values', { ...base, axes: axes(['a', [1, 2]], ['b', ['x', 'y']]), exclude: [{ b: 'x' }] },
      [{ a: 1, b: 'y' }, { a: 2, b: 'y' }]],
    ['values compare as text', { ...base, axes: axes(['a', [1, 2]]), exclude: [{ a: '2' }] }, [{ a: 1 }]],
    ['include: extra points after exclude, in axis order', { ...base, axes: axes(['a', [1]], ['b', [true]]), exclude: [{ a: 1 }], include: [{ b: false, a: 3 }] },
      [{ a: 3, b: false }]],
    ['rows: the CSV points', { ...base, axes: null, rows: { header: ['x'], points: [{ x: '1' }, { x: '2' }] }, exclude: [{ x: 1 }] }, [{ x: '2' }]],
  ];
  it.each(cases)('%s', (_name, input, points) => {
    const r = expandMatrix(input);
    expect(r.problems.filter((p) => !p.warning)).toEqual([]);
    expect(r.points).toEqual(points);
    for (const p of r.points) expect(Object.keys(p)).toEqual(input.axes ? input.axes.map(([k]) => k) : input.rows?.header);
  });

  const bad: Array<[string, MatrixInput, Array<[Array<string | number>, string]>]> = [
    ['an exclude entry naming an unknown axis', { ...base, axes: axes(['lr', [1]]), exclude: [{ lrr: 1 }] }, [[['exclude', 0, 'lrr'], '"lrr" is not an axis of the matrix; axes: lr']]],
    ['a value twice in one axis', { ...base, axes: axes(['lr', [0.1, 0.2, '0.1']]) }, [[['lr', 2], '0.1 is already value 1 of axis lr: every point must differ']]],
    ['a partial include entry', { ...base, axes: axes(['a', [1]], ['b', [2]]), include: [{ a: 5 }] },
      [[['include', 0], 'an include entry is a whole point: give b too (djc never adds keys to existing points)']]],
    ['an include of an existing point', { ...base, axes: axes(['a', [1, 2]]), include: [{ a: 2 }] }, [[['include', 0], 'is already a point of the matrix (a=2): remove it']]],
    ['more points than max_points', { ...base, axes: axes(['a', [1, 2, 3]], ['b', [1, 2]]), maxPoints: 5 },
      [[[], 'the matrix makes 6 points, more than max_points (5): shrink the axes, exclude points, or raise matrix.max_points']]],
    ['a product far past max_points is counted, not built', { ...base, axes: axes(...Array.from({ length: 8 }, (_, i): [string, number[]] => [`a${i}`, Array.from({ length: 10 }, (_v, j) => j)])) },
      [[[], 'the matrix makes 100,000,000 points, more than max_points (1,000): shrink the axes, exclude points, or raise matrix.max_points']]],
  ];
  it.each(bad)('refuses %s', (_name, input, problems) => {
    expect(expandMatrix(input).problems.map((p) => [p.path, p.message])).toEqual(problems);
  });

  it('warns of an exclude entry that matches no point', () => {
    const r = expandMatrix({ ...base, axes: axes(['a', [1]]), exclude: [{ a: 9 }] });
    expect(r.points).toEqual([{ a: 1 }]);
    expect(r.problems).toEqual([{ path: ['exclude', 0], message: 'matches no point of the matrix (a=9)', warning: true }]);
  });

  it('expands 1,000 points', () => {
    const r = expandMatrix({ ...base, axes: axes(['a', Array.from({ length: 10 }, (_, i) => i)], ['b', Array.from({ length: 100 }, (_, i) => i)]) });
    expect(r.points).toHaveLength(1000);
    expect(new Set(r.points.map((p) => displayName('s', p))).size).toBe(1000);
  });
});

describe('displayName', () => {
  it.each([
    ['train', null, 'train'],
    ['train', { lr: 0.1, depth: 4 }, 'train[lr=0.1,depth=4]'],
    ['t', { model: 'resnet-50', path: 'a/b.csv', on: true }, 't[model=resnet-50,path=a/b.csv,on=true]'],
    ['t', { name: 'a,b', q: 'x]y', s: 'two words', e: '' }, 't[name="a,b",q="x]y",s="two words",e=""]'],
  ] as const)('%s %j → %s', (stage, point, name) => {
    expect(displayName(stage, point)).toBe(name);
  });
});
