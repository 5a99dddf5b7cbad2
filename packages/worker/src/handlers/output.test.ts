import { describe, expect, it } from 'vitest';
import { encodeOutput } from './output.js';

describe('encodeOutput', () => {
  it('an array is one JSON line per element', () => {
    expect(encodeOutput([{ a: 1 }, 'x', 2, null, undefined])).toEqual({ kind: 'json-lines', data: '{"a":1}\n"x"\n2\nnull\nnull\n' });
    expect(encodeOutput([])).toEqual({ kind: 'json-lines', data: '' });
  });

  it('undefined is empty JSON lines', () => {
    expect(encodeOutput(undefined)).toEqual({ kind: 'json-lines', data: '' });
  });

  it('objects, numbers, booleans and null are one JSON line', () => {
    expect(encodeOutput({ n: 1 })).toEqual({ kind: 'json', data: '{"n":1}\n' });
    expect(encodeOutput(42)).toEqual({ kind: 'json', data: '42\n' });
    expect(encodeOutput(false)).toEqual({ kind: 'json', data: 'false\n' });
    expect(encodeOutput(null)).toEqual({ kind: 'json', data: 'null\n' });
  });

  it('strings and bytes are raw', () => {
    expect(encodeOutput('as is')).toEqual({ kind: 'raw', data: 'as is' });
    const bytes = Buffer.from('bytes');
    expect(encodeOutput(bytes)).toEqual({ kind: 'raw', data: bytes });
    expect(encodeOutput(new Uint8Array([104, 105]))).toEqual({ kind: 'raw', data: new Uint8Array([104, 105]) });
  });

  it('values without a JSON form throw', () => {
    expect(() => encodeOutput([1, () => 2])).toThrow('element 1 is a function, which has no JSON form');
    expect(() => encodeOutput({ n: 1n })).toThrow(/BigInt/);
  });
});
