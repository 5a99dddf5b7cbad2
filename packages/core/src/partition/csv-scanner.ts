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
 * With `relaxQuotes` (input.csv.relax_quotes) such a quote is data: only a
 * quote that starts a field (at the start of the record or right after a
 * delimiter), or that follows a closing quote (a doubled `""`), toggles the
 * quote state, as the field parser reads it.
 *
 * `multiline` false (input.csv.multiline: false) declares that no quoted
 * field holds a line break: a line break inside quotes is then INPUT_INVALID
 * naming its byte offset. Files split by bytes are then cut at line breaks
 * without a quote-aware scan, so this check is what makes a file that breaks
 * the promise fail loudly in every batch that holds such a field, instead of
 * yielding rows split in two.
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
  /** relaxQuotes: file offset just past the last closing quote (a quote there is the second of a doubled one). */
  private closedAt = -1;
  /** relaxQuotes: the delimiter's bytes, and the last bytes of the previous view (a delimiter may end it). */
  private readonly delimiter: Buffer | null;
  private readonly tail = Buffer.alloc(4);
  private tailLength = 0;
  /** Where the current scan call started in its view. */
  private entry = 0;

  constructor(
    private readonly quote: number,
    private readonly blank: (c: number) => boolean,
    private readonly file: string,
    start: number,
    private readonly multiline = true,
    relax: { delimiter: string } | null = null,
  ) {
    this.recordStart = start;
    this.delimiter = relax === null ? null : Buffer.from(relax.delimiter, 'utf8');
  }

  scan(view: Buffer, pos: number, base: number, limit: number): number {
    if (view !== this.cacheView) {
      this.cacheView = view;
      this.nextNl = this.nextQuote = -1;
    }
    const len = view.length;
    let found = 0;
    this.entry = pos;
    while (pos < len) {
      if (this.inQuote) {
        const close = view.indexOf(this.quote, pos);
        if (!this.multiline) {
          if (this.nextNl < pos) this.nextNl = indexOrLength(view, LF, pos);
          if (this.nextNl < (close < 0 ? len : close)) throw this.lineBreakInQuotes(base + this.nextNl);
        }
        if (close < 0) return this.stop(len, found, view);
        this.inQuote = false;
        this.closedAt = base + close + 1;
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
        pos = this.nextQuote + 1;
        if (this.delimiter !== null && !this.opensField(view, this.nextQuote, base)) continue;
        this.inQuote = true;
        this.quoteAt = base + this.nextQuote;
        continue;
      }
      if (this.nextNl === len) return this.stop(len, found, view);
      pos = this.nextNl + 1;
      this.lastStart = this.recordStart;
      this.lastEnd = this.recordStart = base + pos;
      this.content = false;
      if (++found === limit) break;
    }
    return this.stop(pos, found, view);
  }

  /** relaxQuotes: the quote at `q` starts a field, or doubles the quote that just closed one. */
  private opensField(view: Buffer, q: number, base: number): boolean {
    const at = base + q;
    if (at === this.recordStart || at === this.closedAt) return true;
    const d = this.delimiter as Buffer;
    if (at - d.length < this.recordStart) return false;
    for (let i = 1; i <= d.length; i++) {
      const byte = q - i >= 0 ? view[q - i] : this.tail[this.tailLength - (i - q)];
      if (byte !== d[d.length - i]) return false;
    }
    return true;
  }

  private lineBreakInQuotes(offset: number): DjcError {
    return new DjcError(
      'INPUT_INVALID',
      `${this.file}: a quoted field holds a line break (the quote at byte offset ${this.quoteAt} is still open at the line break at byte offset ${offset}), but input.csv.multiline is false`,
      {
        hint: 'set input.csv.multiline: true (the default) for files whose quoted fields may span lines (false also splits such a field between batches when the input is split by bytes); if the quote is data inside an unquoted field, set input.csv.relax_quotes: true',
        details: { file: this.file, offset, quoteOffset: this.quoteAt },
      },
    );
  }

  private stop(pos: number, found: number, view: Buffer): number {
    this.found = found;
    // The view is used up: keep its last bytes, where a delimiter before the next view's first quote may be.
    if (this.delimiter !== null && pos === view.length && this.entry < pos) {
      const keep = Math.min(pos, this.tail.length);
      const kept = Math.min(this.tailLength, this.tail.length - keep);
      this.tail.copyWithin(0, this.tailLength - kept, this.tailLength);
      view.copy(this.tail, kept, pos - keep, pos);
      this.tailLength = kept + keep;
    }
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
        {
          hint: this.delimiter === null
            ? 'a quote inside an unquoted field (such as 5"10) opens a quoted field: set input.csv.relax_quotes: true to read such quotes as data, '
              + 'or fix the quoting (quote the whole field and double inner quotes), or set input.csv.quote to the quote character the file uses'
            : 'check the CSV quoting (a quoted field ends at a quote followed by the delimiter or a line break), or set input.csv.quote to the quote character the file uses',
          details: { file: this.file, offset: this.quoteAt },
        },
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
