import { describe, expect, it } from 'vitest';
import { int, prng } from './testing.js';
import { invalidUtf8At, invalidUtf8Problem } from './utf8-check.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
const isValid = (b: Uint8Array): boolean => {
  try {
    fatal.decode(b);
    return true;
  } catch {
    return false;
  }
};

describe('invalidUtf8At', () => {
  it.each([
    ['ascii', [0x61, 0x62], -1],
    ['é, 日, 🎉', [...Buffer.from('é日🎉')], -1],
    ['U+FFFD itself is valid', [...Buffer.from('\uFFFD')], -1],
    ['a Latin-1 byte', [0x61, 0xe9, 0x62], 1],
    ['a lone continuation byte', [0x80], 0],
    ['a cut 3-byte sequence', [0x61, 0xe6, 0x97], 1],
    ['an overlong "/"', [0xc0, 0xaf], 0],
    ['a surrogate (U+D800)', [0xed, 0xa0, 0x80], 0],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['0xff', [0x7b, 0xff, 0x7d], 1],
  ])('%s', (_name, bytes, at) => {
    expect(invalidUtf8At(Buffer.from(bytes), 0, bytes.length)).toBe(at);
  });

  it('looks only at [from, to)', () => {
    const buf = Buffer.from([0xff, 0x61, 0x62, 0xff]);
    expect(invalidUtf8At(buf, 1, 3)).toBe(-1);
    expect(invalidUtf8At(buf, 1, 4)).toBe(3);
  });

  it('agrees with a fatal TextDecoder on random bytes, and what precedes the bad byte is valid', () => {
    const r = prng(99);
    const pieces = [[0x61], [0xc3, 0xa9], [0xe6, 0x97, 0xa5], [0xf0, 0x9f, 0x8e, 0x89], [0xff], [0x80], [0xe6], [0xed, 0xbf, 0xbf], [0xc1, 0x81]];
    for (let n = 0; n < 2000; n++) {
      const bytes = Buffer.from(Array.from({ length: int(r, 0, 6) }, () => pieces[int(r, 0, pieces.length - 1)] as number[]).flat());
      const at = invalidUtf8At(bytes, 0, bytes.length);
      expect(at === -1, bytes.toString('hex')).toBe(isValid(bytes));
      if (at >= 0) expect(isValid(bytes.subarray(0, at)), bytes.toString('hex')).toBe(true);
    }
  });

  it('names the byte and its file offset', () => {
    expect(invalidUtf8Problem(Buffer.from([0x20, 0x61, 0xe9]), 2, 1, 100)).toBe('invalid UTF-8 (byte 0xe9 at byte offset 101)');
  });
});
