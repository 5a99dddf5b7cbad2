import { describe, expect, it } from 'vitest';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.js';

describe('parseDuration', () => {
  it.each([
    ['10m', 600_000],
    ['500ms', 500],
    ['30s', 30_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['2d', 172_800_000],
    ['90', 90_000],
    [' 10s ', 10_000],
    ['0', 0],
    [90, 90_000],
    [0.25, 250],
  ] as const)('%j is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', 'abc', '10x', '10M', '-1s', '1h 30m', 's', '10m!', '1e3s'])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeNull();
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects the number %d', (input) => {
    expect(parseDuration(input)).toBeNull();
  });
});

describe('parseSize', () => {
  it.each([
    ['512', 512],
    ['64MiB', 64 * 1024 ** 2],
    ['64mib', 64 * 1024 ** 2],
    ['2G', 2 * 1024 ** 3],
    ['1GB', 1e9],
    ['10 MB', 10e6],
    ['1.5KiB', 1536],
    ['1k', 1024],
    ['0', 0],
    [4096, 4096],
  ] as const)('%j is %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(['', 'MiB', '64XB', '-1', '1,5G', 'ten'])('rejects %j', (input) => {
    expect(parseSize(input)).toBeNull();
  });

  it.each([1.5, -1])('rejects the number %d', (input) => {
    expect(parseSize(input)).toBeNull();
  });
});

describe('formatDuration', () => {
  it.each([
    [500, '500ms'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [600_000, '10m'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
    [7 * 86_400_000, '7d'],
    [25 * 3_600_000, '25h'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const text of ['500ms', '45s', '2m5s', '3h', '1h1m', '2d']) expect(formatDuration(parseDuration(text) as number)).toBe(text);
  });
});

describe('formatSize', () => {
  it.each([
    [1500, '1500'],
    [1024, '1KiB'],
    [1.5 * 1024 ** 3, '1.5GiB'],
    [64 * 1024 ** 2, '64MiB'],
    [1024 ** 4, '1TiB'],
  ])('%d bytes is %s, which parseSize reads back', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
    expect(parseSize(text)).toBe(bytes);
  });
});
