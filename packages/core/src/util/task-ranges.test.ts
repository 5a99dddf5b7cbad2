import { describe, expect, it } from 'vitest';
import { isDjcError } from '../errors.js';
import { formatTaskRanges, parseTaskRanges } from './task-ranges.js';

describe('parseTaskRanges', () => {
  it.each([
    ['3', [3]],
    ['3,7-9', [3, 7, 8, 9]],
    [' 9 , 0-1 ,3', [0, 1, 3, 9]],
    ['5-5', [5]],
    ['2,2,1-3', [1, 2, 3]],
  ])('%j → %j', (text, ids) => {
    expect(parseTaskRanges(text)).toEqual(ids);
  });

  it.each([
    ['', 'an empty item'],
    ['3,', 'an empty item'],
    ['abc', '"abc" is not a task id or a range'],
    ['3;4', '"3;4" is not a task id or a range'],
    ['-1', '"-1" is not a task id or a range'],
    ['1.5', '"1.5" is not a task id or a range'],
    ['9-7', '"9-7" is a range that ends before it starts'],
    ['1-2-3', '"1-2-3" is not a task id or a range'],
    ['0-99999999999', 'names more than 1,000,000 tasks'],
  ])('%j is refused: %s', (text, why) => {
    let err: unknown;
    try {
      parseTaskRanges(text);
    } catch (e) {
      err = e;
    }
    expect(isDjcError(err, 'USAGE')).toBe(true);
    expect((err as Error).message).toContain(why);
    expect((err as Error).message).toContain('--task');
  });
});

describe('formatTaskRanges', () => {
  it.each([
    [[], ''],
    [[3], '3'],
    [[9, 7, 8, 3], '3,7-9'],
    [[0, 1, 2, 4, 6, 7], '0-2,4,6-7'],
  ])('%j → %j', (ids, text) => {
    expect(formatTaskRanges(ids)).toBe(text);
  });

  it('cuts a long list with …, and parses back what it keeps', () => {
    const ids = Array.from({ length: 500 }, (_, i) => i * 2);
    const text = formatTaskRanges(ids, 50);
    expect(text.length).toBeLessThanOrEqual(52);
    expect(text.endsWith(',…')).toBe(true);
    expect(parseTaskRanges(text.slice(0, -2))).toEqual(ids.slice(0, parseTaskRanges(text.slice(0, -2)).length));
  });
});
