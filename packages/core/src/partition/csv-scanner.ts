import { DjcError } from '../errors.js';
import { isBlankByte, LF, type RecordScanner } from './record-scanner.js';

/**
 * CSV records: a newline ends a record unless it is inside quotes. Every
 * quote byte toggles the quote state, so a doubled quote (`""`) inside a
 * quoted field leaves it unchanged even when its two bytes fall in different
 * chunks. Lines outside quotes that hold only spaces, tabs and CRs (other
 * than the delimiter) are blank and skipped, as in jsonl.
 *
 * Quotes in the middle of an unquoted field are not CSV; the reader rejects
 * them (see csv-fields.ts), so both sides agree on every accepted file.
 */
export class CsvScanner implements RecordScanner {
  found = 0;
  lastStart = -1;
  lastEnd = -1;
  recordStart: number;
  private content = false;
  private inQuote = false;
  private quoteAt = -1;
  // Next newline / quote at or after the scan position in `cacheView`
  // (its length if none). Cached so that rare quotes cost one search per
  // chunk, not one per line.
  private cacheView: Buffer | null = null;
  private nextNl = -1;
  private nextQuote = -1;

  constructor(
    private readonly quote: number,
    private readonly blank: (c: number) => boolean,
    private readonly file: string,
    start: number,
  ) {
    this.recordStart = start;
  }

  scan(view: Buffer, pos: number, base: number, limit: number): number {
    if (view !== this.cacheView) {
      this.cacheView = view;
      this.nextNl = this.nextQuote = -1;
    }
    const len = view.length;
    let found = 0;
    while (pos < len) {
      if (this.inQuote) {
        const close = view.indexOf(this.quote, pos);
        if (close < 0) return this.stop(len, found);
        this.inQuote = false;
        pos = close + 1;
        continue;
      }
      if (!this.content) {
        pos = this.skipBlankLines(view, pos, base);
        if (pos === len) break;
      }
      if (this.nextNl < pos) this.nextNl = indexOrLength(view, LF, pos);
      if (this.nextQuote < pos) this.nextQuote = indexOrLength(view, this.quote, pos);
      if (this.nextQuote < this.nextNl) {
        this.inQuote = true;
        this.quoteAt = base + this.nextQuote;
        pos = this.nextQuote + 1;
        continue;
      }
      if (this.nextNl === len) return this.stop(len, found);
      pos = this.nextNl + 1;
      this.lastStart = this.recordStart;
      this.lastEnd = this.recordStart = base + pos;
      this.content = false;
      if (++found === limit) break;
    }
    return this.stop(pos, found);
  }

  private stop(pos: number, found: number): number {
    this.found = found;
    return pos;
  }

  /** Skips blank lines and leading blanks; returns the first content position (then `content` is set), or the view length. */
  private skipBlankLines(view: Buffer, pos: number, base: number): number {
    const len = view.length;
    for (; pos < len; pos++) {
      const c = view[pos] as number;
      if (c === LF) this.recordStart = base + pos + 1;
      else if (!this.blank(c)) {
        this.content = true;
        return pos;
      }
    }
    return len;
  }

  finish(end: number): boolean {
    if (this.inQuote) {
      throw new DjcError(
        'INPUT_INVALID',
        `${this.file}: unterminated quoted field: the quote at byte offset ${this.quoteAt} is never closed`,
        { hint: 'check the CSV quoting, or set input.csv.quote to the quote character the file uses' },
      );
    }
    if (!this.content) return false;
    this.lastStart = this.recordStart;
    this.lastEnd = this.recordStart = end;
    this.content = false;
    return true;
  }
}

function indexOrLength(view: Buffer, byte: number, pos: number): number {
  const i = view.indexOf(byte, pos);
  return i < 0 ? view.length : i;
}

/** Blank-line bytes for CSV: space, tab and CR, except the delimiter. */
export function csvBlankByte(delimiter: string): (c: number) => boolean {
  const d = delimiter.charCodeAt(0);
  return (c) => c !== d && isBlankByte(c);
}
