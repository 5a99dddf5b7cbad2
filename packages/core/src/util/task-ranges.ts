/** Task id lists as people write them: "3,7-9" (ids and inclusive ranges). */
import { DjcError } from '../errors.js';

/** The most ids one list may name (a range such as 0-999999999 is refused, not expanded). */
export const MAX_LISTED_TASKS = 1_000_000;

/**
 * Parses "3,7-9" into [3, 7, 8, 9] (sorted, without duplicates). Strict:
 * every comma-separated part is a non-negative integer or `a-b` with a ≤ b;
 * spaces around parts are allowed, anything else is a DjcError USAGE that
 * quotes the part. `what` names the option in messages ("--task").
 */
export function parseTaskRanges(text: string, what = '--task'): number[] {
  const ids = new Set<number>();
  const parts = text.split(',');
  for (const raw of parts) {
    const part = raw.trim();
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const from = m ? Number(m[1]) : Number.NaN;
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (!m || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) {
      const why = part === '' ? 'an empty item' : m ? `"${part}" is a range that ends before it starts` : `"${part}" is not a task id or a range`;
      throw new DjcError('USAGE', `${what} ${JSON.stringify(text)}: ${why}`, { hint: `write task ids and ranges, e.g. ${what} 3,7-9` });
    }
    if (ids.size + (to - from + 1) > MAX_LISTED_TASKS) {
      throw new DjcError('USAGE', `${what} ${JSON.stringify(text)} names more than ${MAX_LISTED_TASKS.toLocaleString('en-US')} tasks`, {
        hint: `leave ${what} out to take every failed and cancelled task`,
      });
    }
    for (let id = from; id <= to; id++) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** [3, 7, 8, 9] → "3,7-9"; cut with ",…" once longer than `maxChars`. */
export function formatTaskRanges(ids: readonly number[], maxChars = 200): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    const part = j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`;
    if (length + part.length + 1 > maxChars && parts.length > 0) {
      parts.push('…');
      break;
    }
    parts.push(part);
    length += part.length + 1;
    i = j + 1;
  }
  return parts.join(',');
}
