/**
 * Records of jsonl, csv and text input are UTF-8. A record that is not (a
 * stray Latin-1 byte, a cut multi-byte sequence) is a bad record, never
 * text silently patched with U+FFFD and counted as good.
 */
import { isUtf8 } from 'node:buffer';

/** Index in `buf` of the first byte of [from, to) that does not start a valid UTF-8 sequence, or -1 if the range is valid UTF-8. */
export function invalidUtf8At(buf: Buffer, from: number, to: number): number {
  if (isUtf8(buf.subarray(from, to))) return -1;
  let i = from;
  while (i < to) {
    const n = sequenceLength(buf, i, to);
    if (n === 0) return i;
    i += n;
  }
  return -1;
}

/** Length of the valid UTF-8 sequence at `i` (1-4), or 0 if none starts there (RFC 3629: no overlongs, surrogates, or code points past U+10FFFF). */
function sequenceLength(buf: Buffer, i: number, to: number): number {
  const b0 = buf[i] as number;
  if (b0 < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) n = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 === 0xe0) lo = 0xa0;
    if (b0 === 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 === 0xf0) lo = 0x90;
    if (b0 === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + n > to) return 0;
  const b1 = buf[i + 1] as number;
  if (b1 < lo || b1 > hi) return 0;
  for (let k = 2; k < n; k++) {
    const b = buf[i + k] as number;
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return n;
}

/** "invalid UTF-8 (byte 0xff at byte offset 1234)": the problem of a record whose bytes start at file offset `start` in `buf[from]`. */
export function invalidUtf8Problem(buf: Buffer, at: number, from: number, start: number): string {
  const hex = (buf[at] as number).toString(16).padStart(2, '0');
  return `invalid UTF-8 (byte 0x${hex} at byte offset ${start + (at - from)})`;
}
