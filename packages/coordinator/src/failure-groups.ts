/**
 * Failed tasks grouped by error signature: the error with what differs from
 * task to task (numbers, paths, URLs, ids, hex, timestamps) replaced by
 * placeholders, so "bad batch 3" and "bad batch 17" are one group. Pure.
 */

/** A failed task as grouping needs it. */
export interface FailedTask {
  taskId: number;
  error: string | null;
}

export interface FailureGroup {
  /** The normalised error that the group's tasks share. */
  signature: string;
  /** Tasks in the group. */
  count: number;
  /** Its first task ids, in id order (at most `firstTasks`). */
  tasks: number[];
  /** The first task's error as stored. */
  example: string;
}

const NO_ERROR = '(no error recorded)';
const MAX_SIGNATURE_CHARS = 300;

/** Replacements in order: wider patterns first, so a path's digits do not become <n> first. */
const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"()<>,;]+/gi, '<url>'],
  [/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g, '<time>'],
  [/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  [/(?:~|\.{1,2})?(?:\/[^\s/'"():,;<>[\]|]+)+\/?/g, '<path>'],
  [/\b(?:[\w.-]+\/)+[\w.-]+/g, '<path>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  // Tokens that mix digits with letters: hex digests, job and worker ids.
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{4,}\b/gi, '<hex>'],
  [/\b(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]{6,}\b/gi, '<id>'],
  [/\d+(?:\.\d+)?/g, '<n>'],
];

/** The error's signature: what stays the same when the same failure hits another task. */
export function errorSignature(error: string | null): string {
  if (error === null || error.trim() === '') return NO_ERROR;
  let s = error;
  for (const [re, to] of RULES) s = s.replace(re, to);
  s = s.replace(/\s+/g, ' ').trim();
  return s.length > MAX_SIGNATURE_CHARS ? `${s.slice(0, MAX_SIGNATURE_CHARS - 1)}…` : s;
}

/**
 * Groups failed tasks by errorSignature: the largest group first (ties: the
 * one whose first task comes first). Tasks may come in any order.
 */
export function groupFailures(tasks: Iterable<FailedTask>, firstTasks = 10): FailureGroup[] {
  const groups = new Map<string, FailureGroup & { first: number }>();
  for (const t of tasks) {
    const signature = errorSignature(t.error);
    let g = groups.get(signature);
    if (!g) {
      g = { signature, count: 0, tasks: [], example: t.error ?? NO_ERROR, first: t.taskId };
      groups.set(signature, g);
    }
    g.count++;
    if (t.taskId < g.first) {
      g.first = t.taskId;
      g.example = t.error ?? NO_ERROR;
    }
    g.tasks.push(t.taskId);
  }
  return [...groups.values()]
    .sort((a, b) => b.count - a.count || a.first - b.first)
    .map(({ first: _first, ...g }) => ({ ...g, tasks: g.tasks.sort((x, y) => x - y).slice(0, firstTasks) }));
}
