import { describe, expect, it } from 'vitest';
import { capError, capText, MAX_ERROR_CHARS } from './cap-text.js';

describe('capText', () => {
  it('leaves text within the bound as it is', () => {
    expect(capText('short', 5)).toBe('short');
    expect(capText('', 0)).toBe('');
  });

  it('keeps the start and says how much it cut, within the bound', () => {
    const text = 'a'.repeat(1000);
    const out = capText(text, 100);
    expect(out.length).toBeLessThanOrEqual(100);
    const m = /^(a+)… \[(\d+) more characters\]$/.exec(out);
    expect(m).not.toBeNull();
    expect((m?.[1] ?? '').length + Number(m?.[2])).toBe(1000);
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(500); // two code units each
    for (const max of [50, 51, 52, 53]) {
      const out = capText(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
      expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out);
    }
  });

  it('a bound smaller than the marker gives the marker alone', () => {
    expect(capText('abcdefghijklmnopqrstuvwxyz'.repeat(4), 3)).toBe('… [104 more characters]');
  });
});

describe('capError', () => {
  it('bounds a 1 MB message to MAX_ERROR_CHARS and passes null and undefined through', () => {
    const out = capError('x'.repeat(1024 * 1024));
    expect(out.length).toBeLessThanOrEqual(MAX_ERROR_CHARS);
    expect(out).toMatch(/… \[\d+ more characters\]$/);
    expect(capError(null)).toBeNull();
    expect(capError(undefined)).toBeUndefined();
  });
});
