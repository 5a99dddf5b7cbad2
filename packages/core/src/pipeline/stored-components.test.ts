import { describe, expect, it } from 'vitest';
import { CacheComponentsSchema } from './cache-components.js';
import { componentsOf, parseStoredComponents } from './stored-components.js';

// componentsOf replaced CacheComponentsSchema.safeParse on reads (no zod when a read opens the home): same results.
const moduleCode = { kind: 'module', entry: '/w/h.ts', export: 'run', files: [{ path: '/w/h.ts', sha256: 'ab' }, { path: '/w/gone.ts', sha256: null }], packages: { lodash: '4.17.21', left: null } };
const good = {
  v: 1,
  handler: moduleCode,
  reducer: null,
  settings: { 'input.batch.records': 10, 'handler.args': ['a', 1], 'x.flag': true, 'x.none': null, 'x.s': 's' },
  params: { n: 3, deep: { a: [1, { b: 2 }] }, nil: null },
  point: { lr: 0.1, opt: 'adam', on: false },
  input: { kind: 'files', checksum: true, files: [{ path: '/d/a.jsonl', size: 10, mtimeMs: 1.5, sha256: 'cd' }, { path: 's3://b/k', size: 3, etag: '"e"' }] },
};
const variants: Record<string, unknown> = {
  good,
  'extra keys everywhere (dropped)': { ...good, extra: 1, handler: { ...moduleCode, more: 2, files: [{ path: '/a', sha256: null, x: 1 }] }, input: { ...good.input, junk: true, files: [{ path: '/p', size: 1, y: 2 }] } },
  'a command and an upstream input': { ...good, handler: { kind: 'command', command: 'wc -l', files: [] }, reducer: moduleCode, point: null, input: { kind: 'upstream', upstreams: [{ stage: 'a', sha256: null }, { stage: 'b', sha256: 'ff' }] } },
  'version 2': { ...good, v: 2 },
  'no version': { ...good, v: undefined },
  'an unknown handler kind': { ...good, handler: { ...moduleCode, kind: 'shell' } },
  'a module without packages': { ...good, handler: { ...moduleCode, packages: undefined } },
  'a package version a number': { ...good, handler: { ...moduleCode, packages: { a: 1 } } },
  'a file hash missing': { ...good, handler: { ...moduleCode, files: [{ path: '/a' }] } },
  'files not a list': { ...good, handler: { ...moduleCode, files: {} } },
  'reducer missing': { ...good, reducer: undefined },
  'a setting an object': { ...good, settings: { a: { b: 1 } } },
  'params an array': { ...good, params: [1] },
  'a point value null': { ...good, point: { a: null } },
  'point missing': { ...good, point: undefined },
  'input size a string': { ...good, input: { ...good.input, files: [{ path: '/p', size: '1' }] } },
  'input mtime a string': { ...good, input: { ...good.input, files: [{ path: '/p', size: 1, mtimeMs: 'x' }] } },
  'checksum missing': { ...good, input: { kind: 'files', files: [] } },
  'an upstream without a stage': { ...good, input: { kind: 'upstream', upstreams: [{ sha256: null }] } },
  'an unknown input kind': { ...good, input: { kind: 'stream' } },
  'an array': [good],
  null: null,
};

describe('componentsOf', () => {
  it.each(Object.entries(variants))('%s: as the zod schema parses it', (_, raw) => {
    const expected = CacheComponentsSchema.safeParse(raw);
    expect(componentsOf(raw)).toEqual(expected.success ? expected.data : null);
  });

  it('keeps what a good entry holds, and a miss for text that is not JSON', () => {
    expect(componentsOf(good)).toEqual(good);
    expect(parseStoredComponents(JSON.stringify(good))).toEqual(good);
    expect(parseStoredComponents('{"v":1')).toBeNull();
  });
});
