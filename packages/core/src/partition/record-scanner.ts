/**
 * A record scanner finds record boundaries in a byte stream fed chunk by
 * chunk, keeping its state (open quote, blank line) across chunks. The
 * partitioner and the batch readers use the same scanners, so counting and
 * reading cannot disagree.
 *
 * Offsets are absolute (file offsets). A record spans from the start of its
 * first line to just past its line ending; its bytes, minus that ending, are
 * the record.
 */
export interface RecordScanner {
  /** Records that ended during the last `scan` call. */
  readonly found: number;
  /** Start of the last record that ended. */
  readonly lastStart: number;
  /** Offset just past the last ended record's line ending (or the end of input, after `finish`). */
  readonly lastEnd: number;
  /** Start of the record (or blank line) in progress. */
  readonly recordStart: number;
  /**
   * Scans `view` from `pos` (`view[0]` is at offset `base`) and stops once
   * `limit` records have ended or the view is exhausted.
   * @returns the position in `view` where scanning stopped.
   */
  scan(view: Buffer, pos: number, base: number, limit: number): number;
  /**
   * Ends the input at offset `end`. Returns true, and sets `lastStart` and
   * `lastEnd`, when an unterminated final record remains.
   */
  finish(end: number): boolean;
}

export const LF = 10;
export const CR = 13;

/** Bytes of a blank line: JSON whitespace other than LF (space, tab, CR). */
export function isBlankByte(c: number): boolean {
  return c === 32 || c === 9 || c === CR;
}

/** Length of the record's bytes without its line ending (`\n` or `\r\n`). */
export function contentEnd(bytes: Buffer, start: number, end: number): number {
  if (end > start && bytes[end - 1] === LF) {
    end--;
    if (end > start && bytes[end - 1] === CR) end--;
  }
  return end;
}

/** Length of a UTF-8 byte order mark at the start of `bytes` (0 or 3). */
export function bomLength(bytes: Buffer): number {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}
