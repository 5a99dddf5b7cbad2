import { describe, expect, it } from 'vitest';
import { checkGraph, findCycles, topologicalOrder, type StageNeeds } from './graph.js';

describe('checkGraph', () => {
  const cases: Array<[string, StageNeeds, string[]]> = [
    ['a diamond is fine', [['a', []], ['b', ['a']], ['c', ['a']], ['d', ['b', 'c']]], []],
    ['an unknown stage', [['a', ['zz']]], ['a[0]: unknown stage "zz"; stages: a']],
    ['a stage that needs itself', [['a', ['a']]], ['a[0]: stage a needs itself']],
    ['a stage listed twice', [['a', []], ['b', ['a', 'a']]], ['b[1]: "a" is listed twice']],
    ['a three-stage cycle, named from its first stage in the file', [['x', []], ['b', ['c']], ['a', ['b']], ['c', ['a']]], ['b: the stages make a cycle: b → c → a → b']],
    ['two cycles, each once', [['a', ['b']], ['b', ['a']], ['c', ['d']], ['d', ['c']]],
      ['a: the stages make a cycle: a → b → a', 'c: the stages make a cycle: c → d → c']],
  ];
  it.each(cases)('%s', (_name, stages, expected) => {
    expect(checkGraph(stages).map((p) => `${p.stage}${p.index === null ? '' : `[${p.index}]`}: ${p.message}`)).toEqual(expected);
  });

  it('finds a cycle reachable only through other stages', () => {
    expect(findCycles([['top', ['a']], ['a', ['b']], ['b', ['c']], ['c', ['a']]])).toEqual([['a', 'b', 'c']]);
  });
});

describe('topologicalOrder', () => {
  it.each([
    [[['report', ['embed', 'train']], ['clean', []], ['embed', ['clean']], ['train', ['clean']]], ['clean', 'embed', 'train', 'report']],
    [[['b', []], ['a', []], ['c', ['a']]], ['b', 'a', 'c']],
    [[['z', ['y']], ['y', ['x']], ['x', []]], ['x', 'y', 'z']],
  ] as Array<[StageNeeds, string[]]>)('%j → %j', (stages, order) => {
    expect(topologicalOrder(stages)).toEqual(order);
  });
});
