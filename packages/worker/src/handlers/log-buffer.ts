/**
 * The attempt's log text, capped: the first half of the cap is kept as
 * written, then a rolling tail; what falls in between (rounded out to whole
 * lines) is replaced by one "… N bytes omitted …" line. Counts are in UTF-16 code units, close enough
 * to bytes for a cap.
 */
export const DEFAULT_LOG_CAP = 1024 * 1024;

export class LogBuffer {
  /** Bumped on every append: a reader that saw the same value has seen the same text. */
  changes = 0;
  private head = '';
  private tail: string[] = [];
  private tailLength = 0;
  private omitted = 0;
  private readonly headCap: number;
  private readonly tailCap: number;

  constructor(cap: number = DEFAULT_LOG_CAP) {
    this.headCap = Math.floor(cap / 2);
    this.tailCap = cap - this.headCap;
  }

  append(text: string): void {
    if (text.length === 0) return;
    this.changes++;
    if (this.tail.length === 0 && this.head.length < this.headCap) {
      const room = this.headCap - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
      if (text.length === 0) return;
    }
    this.tail.push(text);
    this.tailLength += text.length;
    this.trimTail();
  }

  /** Appends one line, adding the newline. */
  line(text: string): void {
    this.append(text.endsWith('\n') ? text : `${text}\n`);
  }

  toString(): string {
    let tail = this.tail.join('');
    if (this.omitted === 0) return this.head + tail;
    // Cut at line boundaries where there are any, so no line is shown half.
    const headEnd = this.head.lastIndexOf('\n') + 1 || this.head.length;
    const tailStart = tail.indexOf('\n') + 1;
    const head = this.head.slice(0, headEnd);
    tail = tail.slice(tailStart);
    const omitted = this.omitted + (this.head.length - headEnd) + tailStart;
    const sep = head.endsWith('\n') ? '' : '\n';
    return `${head}${sep}${omittedLine(omitted)}${tail}`;
  }

  private trimTail(): void {
    while (this.tailLength > this.tailCap) {
      const first = this.tail[0] as string;
      const excess = this.tailLength - this.tailCap;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailLength -= first.length;
        this.omitted += first.length;
      } else {
        this.tail[0] = first.slice(excess);
        this.tailLength -= excess;
        this.omitted += excess;
      }
    }
  }
}

/** The line that stands for text left out of a capped log (log-delta.ts reads it back). */
export function omittedLine(n: number): string {
  return `… ${n} bytes omitted …\n`;
}

/** Keeps the last `max` lines of a stream of text chunks (e.g. a command's stderr). */
export class TailLines {
  private text = '';

  constructor(private readonly max = 20, private readonly maxChars = 16 * 1024) {}

  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.maxChars * 2) this.text = this.text.slice(-this.maxChars);
  }

  /** The last `n` (≤ max) non-empty lines, trimmed. */
  lines(n = this.max): string[] {
    const all = this.text.slice(-this.maxChars).split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
    return all.slice(-Math.min(n, this.max));
  }
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One log line as the attempt log shows it: `2024-05-01T12:00:00.000Z INFO  message`. */
export function formatLogLine(level: string, message: string): string {
  return `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`;
}
