import { isBlankByte, LF, type RecordScanner } from './record-scanner.js';

/**
 * Records are lines. `skipBlank` (jsonl): a line that is empty or holds only
 * spaces, tabs and CRs is not a record. Otherwise (text) every line is one,
 * and a final newline does not start an empty record.
 */
export class LineScanner implements RecordScanner {
  found = 0;
  lastStart = -1;
  lastEnd = -1;
  recordStart: number;
  /** The line in progress holds a non-blank byte (only tracked with skipBlank). */
  protected content = false;

  constructor(
    protected readonly skipBlank: boolean,
    start: number,
  ) {
    this.recordStart = start;
  }

  scan(view: Buffer, pos: number, base: number, limit: number): number {
    const len = view.length;
    let found = 0;
    let recordStart = this.recordStart;
    let lastStart = this.lastStart;
    let lastEnd = this.lastEnd;
    let content = this.content || !this.skipBlank;
    while (pos < len) {
      if (!content) {
        const c = view[pos] as number;
        if (c === LF || isBlankByte(c)) {
          this.recordStart = recordStart;
          pos = this.skipBlankBytes(view, pos, base);
          recordStart = this.recordStart;
          if (pos === len) break;
        }
        content = true;
      }
      const nl = this.nextLf(view, pos);
      if (nl < 0) {
        pos = len;
        break;
      }
      lastStart = recordStart;
      lastEnd = recordStart = base + nl + 1;
      content = !this.skipBlank;
      pos = nl + 1;
      if (++found === limit) break;
    }
    this.lastStart = lastStart;
    this.lastEnd = lastEnd;
    this.recordStart = recordStart;
    this.content = content && this.skipBlank;
    this.found = found;
    return pos;
  }

  /** Position of the first LF in `view` at or after `pos` (< view.length), or -1. */
  protected nextLf(view: Buffer, pos: number): number {
    return view.indexOf(LF, pos);
  }

  /** Skips blank lines and leading blanks; returns the position of the first content byte, or the view length. */
  protected skipBlankBytes(view: Buffer, pos: number, base: number): number {
    const len = view.length;
    for (; pos < len; pos++) {
      const c = view[pos] as number;
      if (c === LF) this.recordStart = base + pos + 1;
      else if (!isBlankByte(c)) return pos;
    }
    return len;
  }

  finish(end: number): boolean {
    const pending = this.skipBlank ? this.content : this.recordStart < end;
    if (!pending) return false;
    this.lastStart = this.recordStart;
    this.lastEnd = this.recordStart = end;
    this.content = false;
    return true;
  }
}
