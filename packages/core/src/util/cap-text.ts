/**
 * Free text that djc stores or shows, cut to a bound. Error messages come
 * from handlers, commands and services, and may be any size (a handler can
 * throw a 1 MB message); a stored task or job error must stay far below
 * DynamoDB's 400 KB item limit and readable in `djc tasks`. Lengths are in
 * UTF-16 code units (JavaScript string length), never splitting a surrogate
 * pair.
 */

/** The longest error message stored on a task or a job (~4 K characters, at most ~12 KB as UTF-8). */
export const MAX_ERROR_CHARS = 4_000;

/**
 * `text` if it is at most `max` characters; else its start and the marker
 * `… [N more characters]`, the whole at most `max` characters (the marker
 * alone when `max` is smaller than it).
 */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  // The marker's digits depend on how much is cut: size it for the worst case.
  const marker = (n: number) => `… [${n} more characters]`;
  const keep = Math.max(0, max - marker(text.length).length);
  const head = wholeChars(text, keep);
  return `${head}${marker(text.length - head.length)}`;
}

/** An error message as stored on a task or job (see MAX_ERROR_CHARS); null and undefined pass through. */
export function capError<T extends string | null | undefined>(text: T): T {
  return (typeof text === 'string' ? capText(text, MAX_ERROR_CHARS) : text) as T;
}

/** The first `n` code units of `text`, one fewer if that would split a surrogate pair. */
function wholeChars(text: string, n: number): string {
  const code = text.charCodeAt(n - 1);
  return n > 0 && code >= 0xd800 && code <= 0xdbff ? text.slice(0, n - 1) : text.slice(0, n);
}
