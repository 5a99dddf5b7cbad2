/**
 * Following a log that is rewritten whole while it grows (an attempt's log,
 * flushed by log-stream.ts). Each snapshot is a LogBuffer's text: the whole
 * log while it is under the cap; past it, the same head, one
 * "… N bytes omitted …" line, and a tail that rolls on. N counts what lies
 * between the head shown and the tail shown, so two snapshots of one log
 * say by how much the tail moved: the difference of their N.
 */
import { omittedLine } from './log-buffer.js';

const OMITTED = /… (\d+) bytes omitted …\n/g;

interface Cut {
  /** Where the omitted line starts and ends in the snapshot. */
  start: number;
  end: number;
  omitted: number;
}

/**
 * What a reader who has printed the snapshot `shown` prints next to be up to
 * date with the newer snapshot `next` of the same log: the new text; past the
 * cap, only the tail it has not printed yet, or an omitted line and the whole
 * tail when the tail moved past what it printed.
 */
export function logDelta(shown: string, next: string): string {
  if (next === shown || next.length === 0) return '';
  if (next.startsWith(shown)) return next.slice(shown.length);
  const cut = cutOf(next, commonPrefixLength(shown, next));
  // Not a snapshot of the same log (it cannot shrink otherwise): start again.
  if (!cut) return `${shown.endsWith('\n') ? '' : '\n'}${next}`;
  const tail = next.slice(cut.end);
  const before = cutAt(shown, cut.start);
  let overlap: number;
  if (before) {
    // Both past the cap, with the same head: the tail moved by the growth of N.
    overlap = shown.length - before.end - (cut.omitted - before.omitted);
  } else {
    // `shown` was the whole log. A head without any newline is followed by one added before the omitted line.
    const headEnd = shown[cut.start - 1] === next[cut.start - 1] ? cut.start : cut.start - 1;
    overlap = shown.length - (headEnd + cut.omitted);
  }
  if (overlap >= 0) return tail.slice(overlap);
  return `${shown.endsWith('\n') ? '' : '\n'}${omittedLine(-overlap)}${tail}`;
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/**
 * The omitted line of `text` that starts at or just after `upTo` (where it
 * differs from the reader's snapshot), at a line start: the last one, so a
 * line of the handler's own output that looks like it, earlier in the head,
 * is not taken for it.
 */
function cutOf(text: string, upTo: number): Cut | null {
  let found: Cut | null = null;
  for (const m of text.slice(0, upTo + 1 + 64).matchAll(OMITTED)) {
    const start = m.index;
    if (start > upTo + 1) break;
    if (start === 0 || text[start - 1] === '\n') found = { start, end: start + m[0].length, omitted: Number(m[1]) };
  }
  return found;
}

/** The omitted line of `text` exactly at `start`, if there is one. */
function cutAt(text: string, start: number): Cut | null {
  const re = new RegExp(OMITTED.source, 'y');
  re.lastIndex = start;
  const m = re.exec(text);
  return m ? { start, end: start + m[0].length, omitted: Number(m[1]) } : null;
}
