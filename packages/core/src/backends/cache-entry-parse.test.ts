import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cacheEntryOf, type StoredCacheEntry } from './cache-entry-parse.js';

// The zod schemas cacheEntryOf replaced (a read must not load zod): same entries, same misses.
const ResultRef = z.object({ blobKey: z.string(), sha256: z.string(), bytes: z.number() });
const Point = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const components = { v: 1, handler: { kind: 'command', command: 'true', files: [] }, reducer: null, settings: {}, params: {}, point: null, input: { kind: 'upstream', upstreams: [] } };
const stored = (over: Partial<StoredCacheEntry>): StoredCacheEntry => ({
  key: 'k', jobId: 'j', pipeline: 'p', stage: 's', point: null, components: JSON.stringify(components),
  result: JSON.stringify({ blobKey: 'b', sha256: 'h', bytes: 3 }), createdAt: 't', ...over,
});

describe('cacheEntryOf', () => {
  const results = [{ blobKey: 'b', sha256: 'h', bytes: 3, extra: 1 }, { blobKey: 'b', sha256: 'h' }, { blobKey: 1, sha256: 'h', bytes: 3 }, { blobKey: 'b', sha256: 'h', bytes: '3' }, null, [1], 'x'];
  it.each(results.map((r) => [JSON.stringify(r), r]))('result %s: as the zod schema reads it', (_, r) => {
    const expected = ResultRef.safeParse(r);
    const entry = cacheEntryOf(stored({ result: JSON.stringify(r) }));
    expect(entry?.result ?? null).toEqual(expected.success ? expected.data : null);
  });

  const points = [{ a: 1, b: 'x', c: true }, {}, { a: null }, { a: [1] }, { a: { b: 1 } }, [1], 3];
  it.each(points.map((p) => [JSON.stringify(p), p]))('point %s: as the zod schema reads it', (_, p) => {
    const expected = Point.safeParse(p);
    const entry = cacheEntryOf(stored({ point: JSON.stringify(p) }));
    expect(entry === null ? null : entry.point).toEqual(expected.success ? expected.data : null);
  });

  it('reads a whole entry; text that is not JSON is a miss', () => {
    expect(cacheEntryOf(stored({}))).toEqual({ key: 'k', jobId: 'j', pipeline: 'p', stage: 's', point: null, components, result: { blobKey: 'b', sha256: 'h', bytes: 3 }, createdAt: 't' });
    expect(cacheEntryOf(stored({ result: '{' }))).toBeNull();
    expect(cacheEntryOf(stored({ point: 'nope' }))).toBeNull();
    expect(cacheEntryOf(stored({ components: '{"v":2}' }))).toBeNull();
  });
});
