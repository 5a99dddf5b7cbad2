/**
 * The not-yet-sent bytes of a batch stream that leaves bad records out.
 * Bytes go out a read buffer at a time, up to the start of the record in
 * progress; that record's bytes are held (copied: read buffers are reused)
 * until it is finished and known good, or cut out.
 *
 * Invariant: the held bytes are file bytes [from, base) of the current
 * read's `base`; with none held, `from` ≥ base.
 */
export class HeldBytes {
  private parts: Buffer[] = [];
  private held = 0;
  private out: Buffer[] = [];

  /** `from`: file offset of the first byte of the stream's range. */
  constructor(private from: number) {}

  /** Leaves bytes [start, end) out (a bad record in `view`, whose first byte is at `base`); the bytes before it go out first. */
  cut(view: Buffer, base: number, start: number, end: number): void {
    this.send(view, base, start);
    this.parts = [];
    this.held = 0;
    this.from = end;
  }

  /**
   * At the end of a read: the bytes up to `pending` (where an unfinished
   * record starts; the end of the view if none) to send, in order; the rest
   * of the view is held.
   */
  endView(view: Buffer, base: number, pending: number): Buffer[] {
    this.send(view, base, pending);
    const from = Math.max(this.from, base);
    if (from < base + view.length) {
      const copy = Buffer.from(view.subarray(from - base));
      this.parts.push(copy);
      this.held += copy.length;
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Moves bytes [from, to) to the output: held bytes first, then from the view. */
  private send(view: Buffer, base: number, to: number): void {
    while (this.held > 0 && this.from < to) {
      const part = this.parts[0] as Buffer;
      const n = Math.min(part.length, to - this.from);
      this.out.push(n === part.length ? part : part.subarray(0, n));
      if (n === part.length) this.parts.shift();
      else this.parts[0] = part.subarray(n);
      this.held -= n;
      this.from += n;
    }
    if (this.from < to) {
      this.out.push(Buffer.from(view.subarray(this.from - base, to - base)));
      this.from = to;
    }
  }
}
