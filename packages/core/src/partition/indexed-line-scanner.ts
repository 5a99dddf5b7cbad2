import { LineScanner } from './line-scanner.js';
import type { NewlineIndex } from './newline-wasm.js';
import { isBlankByte, LF } from './record-scanner.js';

/** Most LFs one `skip` call is asked to pass (an i32 for WebAssembly). */
const MAX_SKIP = 0x7fffffff;

/**
 * A LineScanner (same records, blank lines, CRLF, final line) that counts
 * the LFs of a view of a NewlineIndex's buffer in WebAssembly, many records
 * per call, instead of one `Buffer.indexOf` call and one turn of a JS loop
 * per line. Any other view: LineScanner's own scan.
 *
 * With `skipBlank` (jsonl) the counter stops just past any LF that a byte
 * <= 0x20 follows: whether a blank line starts there is decided here, as
 * LineScanner does. Kept in step with LineScanner by
 * indexed-line-scanner.test.ts, which compares the two on random input.
 */
export class IndexedLineScanner extends LineScanner {
  constructor(
    private readonly index: NewlineIndex,
    skipBlank: boolean,
    start: number,
  ) {
    super(skipBlank, start);
  }

  override scan(view: Buffer, pos: number, base: number, limit: number): number {
    if (!this.index.owns(view)) return super.scan(view, pos, base, limit);
    const len = view.length;
    const skipBlank = this.skipBlank;
    let { recordStart, lastStart, lastEnd } = this;
    let found = 0;
    let content = this.content || !skipBlank;
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
      let end = this.index.skip(pos, len, Math.min(limit - found, MAX_SKIP), skipBlank);
      const n = this.index.count;
      if (n === 0) {
        pos = len;
        break;
      }
      // Stopped at the view's end: the last LF passed is the view's last.
      if (end === len && view[len - 1] !== LF) end = view.lastIndexOf(LF, len - 1) + 1;
      // Two or more LFs passed: the last record starts just past the one before it.
      lastStart = n === 1 ? recordStart : base + view.lastIndexOf(LF, end - 2) + 1;
      lastEnd = recordStart = base + end;
      content = !skipBlank;
      pos = end;
      if ((found += n) === limit) break;
    }
    this.lastStart = lastStart;
    this.lastEnd = lastEnd;
    this.recordStart = recordStart;
    this.content = content && skipBlank;
    this.found = found;
    return pos;
  }
}
