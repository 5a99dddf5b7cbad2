import { describe, expect, it } from 'vitest';
import { ISO_PARSERS, plainRow, plainValue } from './parquet-values.js';

type Parsers = Required<typeof ISO_PARSERS>;
const P = ISO_PARSERS as Parsers;

describe('plainValue', () => {
  it('makes INT64 a number while it is safe, else its decimal string', () => {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    expect(plainValue(max)).toBe(Number.MAX_SAFE_INTEGER);
    expect(plainValue(-max)).toBe(-Number.MAX_SAFE_INTEGER);
    expect(plainValue(max + 1n)).toBe('9007199254740992');
    expect(plainValue(-max - 1n)).toBe('-9007199254740992');
    expect(plainValue(2n ** 64n - 1n)).toBe('18446744073709551615');
    expect(plainValue(new BigInt64Array([1n, -(2n ** 63n)]))).toEqual([1, '-9223372036854775808']);
  });

  it('turns missing values into null, bytes into base64, dates into ISO strings, recursively', () => {
    expect(plainValue(undefined)).toBeNull();
    expect(plainValue({ a: undefined, b: [1n, undefined, { c: new Uint8Array([0xff, 0x00]) }] })).toEqual({
      a: null,
      b: [1, null, { c: '/wA=' }],
    });
    expect(plainValue(new Date(Date.UTC(2020, 1, 29)))).toBe('2020-02-29T00:00:00.000Z');
    expect(plainValue(new Date(NaN))).toBeNull();
    expect(plainValue(new Float32Array([0.5, 2]))).toEqual([0.5, 2]);
    expect(plainValue(NaN)).toBeNaN();
    expect(JSON.stringify(plainRow({ x: NaN, y: -Infinity, z: 'é' }))).toBe('{"x":null,"y":null,"z":"é"}');
  });
});

describe('ISO_PARSERS', () => {
  it('keep the precision of the column', () => {
    const ms = BigInt(Date.UTC(2024, 4, 1, 12, 0, 0, 123));
    expect(P.timestampFromMilliseconds(ms)).toBe('2024-05-01T12:00:00.123Z');
    expect(P.timestampFromMicroseconds(ms * 1000n + 456n)).toBe('2024-05-01T12:00:00.123456Z');
    expect(P.timestampFromNanoseconds(ms * 1_000_000n + 456_789n)).toBe('2024-05-01T12:00:00.123456789Z');
  });

  it('count instants before 1970 down, so the fraction stays positive', () => {
    expect(P.timestampFromMicroseconds(-1n)).toBe('1969-12-31T23:59:59.999999Z');
    expect(P.timestampFromNanoseconds(-1_500_000n)).toBe('1969-12-31T23:59:59.998500000Z');
    expect(P.timestampFromMilliseconds(-1n)).toBe('1969-12-31T23:59:59.999Z');
  });

  it('write DATE as a calendar date, and out-of-range values as their raw number', () => {
    expect(P.dateFromDays(0)).toBe('1970-01-01');
    expect(P.dateFromDays(19_844)).toBe('2024-05-01');
    expect(P.dateFromDays(-1)).toBe('1969-12-31');
    expect(P.dateFromDays(200_000_000)).toBe('200000000');
    expect(P.timestampFromMilliseconds(9_000_000_000_000_000n)).toBe('9000000000000000');
  });
});
