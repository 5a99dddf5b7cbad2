import { describe, expect, it } from 'vitest';
import { LogBuffer } from './log-buffer.js';
import { logDelta } from './log-delta.js';

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes `chunks` into a LogBuffer, follows it through snapshots taken after some appends, returns what the reader printed. */
function follow(cap: number, chunks: string[], snapshotAfter: (i: number) => boolean): { printed: string; final: string } {
  const log = new LogBuffer(cap);
  let shown = '';
  let printed = '';
  chunks.forEach((c, i) => {
    log.append(c);
    if (!snapshotAfter(i)) return;
    const next = log.toString();
    printed += logDelta(shown, next);
    shown = next;
  });
  const final = log.toString();
  printed += logDelta(shown, final);
  return { printed, final };
}

const OMITTED_LINE = /… \d+ bytes omitted …\n/;

/** Every piece of `printed` between omitted lines is the next stretch of `stream`: nothing repeated, nothing reordered. */
function expectPiecesInOrder(printed: string, stream: string): void {
  let from = 0;
  for (const piece of printed.split(OMITTED_LINE)) {
    const body = piece.endsWith('\n') && !stream.includes(piece, from) ? piece.slice(0, -1) : piece;
    const at = stream.indexOf(body, from);
    expect(at, `piece ${JSON.stringify(body.slice(0, 40))} not found after ${from}`).toBeGreaterThanOrEqual(0);
    from = at + body.length;
  }
}

describe('logDelta: following a log rewritten whole while it grows', () => {
  it('prints only what is new while the log is under the cap', () => {
    expect(logDelta('', 'step 1\n')).toBe('step 1\n');
    expect(logDelta('step 1\n', 'step 1\nstep 2\n')).toBe('step 2\n');
    expect(logDelta('step 1\n', 'step 1\n')).toBe('');
    expect(logDelta('step 1\nst', 'step 1\nstep 2\n')).toBe('ep 2\n');
  });

  it('past the cap: a reader that keeps up sees every line once, and no omitted line (it missed nothing)', () => {
    const log = new LogBuffer(40);
    let shown = '';
    let printed = '';
    for (let i = 0; i < 12; i++) {
      log.line(`line ${i}`);
      printed += logDelta(shown, log.toString());
      shown = log.toString();
    }
    // Every line was seen by the reader as it came: nothing is missing, and one omitted line marks where the cap hit.
    expect(printed.split('\n').filter((l) => l.startsWith('line '))).toEqual(Array.from({ length: 12 }, (_, i) => `line ${i}`));
    expect(printed).not.toContain('omitted');
    expect(shown).toContain('omitted'); // the stored log itself is capped
  });

  it('a reader that falls behind the rolling tail is told how much it missed', () => {
    const log = new LogBuffer(40);
    for (let i = 0; i < 3; i++) log.line(`line ${i}`);
    const first = log.toString();
    for (let i = 3; i < 30; i++) log.line(`line ${i}`);
    const delta = logDelta(first, log.toString());
    expect(delta).toMatch(/^… \d+ bytes omitted …\nline 2\d\n/);
    expect(delta.endsWith('line 29\n')).toBe(true);
  });

  it('random streams, caps and snapshot times: pieces in order, the final tail printed, the whole log when under the cap', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const cap = 20 + Math.floor(r() * 200);
      const chunks = Array.from({ length: 1 + Math.floor(r() * 60) }, () => {
        const words = Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 1e6).toString(36));
        return words.join(r() < 0.4 ? '\n' : ' ') + (r() < 0.6 ? '\n' : '');
      });
      // A head without any newline at all, sometimes: the omitted line then comes after an added newline.
      if (r() < 0.2) chunks.unshift('x'.repeat(cap));
      const stream = chunks.join('');
      const p = r();
      const { printed, final } = follow(cap, chunks, () => r() < p);
      if (stream.length <= cap) {
        expect(printed, `seed ${seed}`).toBe(stream);
        continue;
      }
      expectPiecesInOrder(printed, stream);
      const tail = final.split(OMITTED_LINE).at(-1) as string;
      expect(printed.endsWith(tail), `seed ${seed}`).toBe(true);
      expect(printed.startsWith(final.split(OMITTED_LINE)[0]?.replace(/\n$/, '') ?? ''), `seed ${seed}`).toBe(true);
    }
  });
});
