/** A record that cannot be decoded; the reader turns it into INPUT_INVALID with the file and line. */
export class BadRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRecordError';
  }
}

/**
 * Splits one CSV record (its text without the line ending) into fields.
 * A field is quoted only if it starts with the quote; inside, a doubled
 * quote is one quote, and delimiters and newlines are data. Strict on what
 * the record scanner cannot agree with: a quote inside an unquoted field
 * (unless `relaxQuotes`: then it is data, as the scanner reads it too), or
 * anything but a delimiter after a closing quote, is an error.
 */
export function parseCsvFields(text: string, delimiter: string, quote: string, relaxQuotes = false): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text.startsWith(quote, i)) {
      const [value, next] = quotedField(text, i + 1, quote);
      fields.push(value);
      i = next;
      if (i === text.length) return fields;
      if (text[i] !== delimiter) {
        throw new BadRecordError(`unexpected ${JSON.stringify(text[i])} after the closing quote of field ${fields.length}`);
      }
    } else {
      const d = text.indexOf(delimiter, i);
      const value = text.slice(i, d < 0 ? text.length : d);
      if (!relaxQuotes && value.includes(quote)) {
        throw new BadRecordError(
          `quote inside unquoted field ${fields.length + 1} (quote the whole field and double inner quotes, or set input.csv.relax_quotes: true to read such quotes as data)`,
        );
      }
      fields.push(value);
      if (d < 0) return fields;
      i = d;
    }
    i += delimiter.length;
  }
}

/** Reads a quoted field whose content starts at `i`; returns its value and the position after the closing quote. */
function quotedField(text: string, i: number, quote: string): [string, number] {
  let value = '';
  for (;;) {
    const q = text.indexOf(quote, i);
    if (q < 0) throw new BadRecordError('unterminated quoted field');
    value += text.slice(i, q);
    if (text.startsWith(quote, q + 1)) {
      value += quote;
      i = q + 2;
    } else {
      return [value, q + 1];
    }
  }
}
