import { describe, expect, it } from 'vitest';
import { groupDigits } from './group-digits.js';

describe('groupDigits', () => {
  it('writes what en-US toLocaleString writes', () => {
    const xs = [0, 7, 999, 1000, 12_345, 100_000, 1_234_567, -1, -1000, -987_654_321, Number.MAX_SAFE_INTEGER, 2 ** 60, 1.5, 1234.5678, -0.25, Number.NaN, Number.POSITIVE_INFINITY];
    for (const x of xs) expect(groupDigits(x)).toBe(x.toLocaleString('en-US'));
  });
});
