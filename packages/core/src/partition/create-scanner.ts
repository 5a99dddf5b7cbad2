import { CsvScanner, csvBlankByte } from './csv-scanner.js';
import { LineScanner } from './line-scanner.js';
import type { RecordScanner } from './record-scanner.js';
import type { ReadOptions } from './types.js';

/** A scanner for `opts.format`, starting at file offset `start` (a record boundary). */
export function createScanner(opts: ReadOptions, file: string, start: number): RecordScanner {
  switch (opts.format) {
    case 'jsonl':
      return new LineScanner(true, start);
    case 'text':
      return new LineScanner(false, start);
    case 'csv':
      return new CsvScanner(
        opts.csv.quote.charCodeAt(0), csvBlankByte(opts.csv.delimiter), file, start, opts.csv.multiline !== false,
        opts.csv.relaxQuotes === true ? { delimiter: opts.csv.delimiter } : null,
      );
    default:
      throw new Error(`internal: ${opts.format} input is not scanned for records`);
  }
}
