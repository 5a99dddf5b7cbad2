import { LineScanner } from './line-scanner.js';
import type { NewlineIndex } from './newline-wasm.js';
import { isBlankByte, LF } from './record-scanner.js';

/**
 * A LineScanner (same records, blank lines, CRLF, final line) that takes
 * the LFs of a view of a NewlineIndex's buffer from the index's list,
 * filled a few thousand at a time, instead of one `Buffer.indexOf` call per
 * line. Any other view: LineScanner's own scan.
 *
 * `scan` is LineScanner's loop with the LF search inlined over locals: kept
 * in step with it by indexed-line-scanner.test.ts, which compares the two on
 * random input.
 */
export class IndexedLineScanner extends LineScanner {
  private view: Buffer | null = null;
  private indexed = false;
  /** LFs of `view` listed in `index.positions[0, count)`; `k`: the first not yet passed. */
  private count = 0;
  private k = 0;
  /** Every LF of `view` before this position is listed (or was passed). */
  private listedTo = 0;

  constructor(
    private readonly index: NewlineIndex,
    skipBlank: boolean,
    start: number,
  ) {
    super(skipBlank, start);
  }

  override scan(view: Buffer, pos: number, base: number, limit: number): number {
    if (view !== this.view) {
      this.view = view;
      this.indexed = this.index.owns(view);
      this.count = this.k = this.listedTo = 0;
    }
    if (!this.indexed) return super.scan(view, pos, base, limit);
    const { positions } = this.index;
    const len = view.length;
    const skipBlank = this.skipBlank;
    let { recordStart, lastStart, lastEnd, k, count } = this;
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
      while (k < count && (positions[k] as number) < pos) k++;
      if (k === count) {
        if (this.listedTo >= len) {
          pos = len;
          break;
        }
        count = this.index.lfs(Math.max(pos, this.listedTo), len);
        k = 0;
        this.listedTo = count === positions.length ? (positions[count - 1] as number) + 1 : len;
        continue;
      }
      const nl = positions[k++] as number;
      lastStart = recordStart;
      lastEnd = recordStart = base + nl + 1;
      content = !skipBlank;
      pos = nl + 1;
      if (++found === limit) break;
    }
    this.k = k;
    this.count = count;
    this.lastStart = lastStart;
    this.lastEnd = lastEnd;
    this.recordStart = recordStart;
    this.content = content && skipBlank;
    this.found = found;
    return pos;
  }
}
