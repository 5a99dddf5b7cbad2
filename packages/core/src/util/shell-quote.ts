/**
 * Quoting for a POSIX shell (`/bin/sh -c`): one value becomes one word that
 * the shell passes on literally, whatever it holds (`$(…)`, backquotes,
 * spaces, quotes, newlines). Words made only of characters the shell never
 * interprets stay bare, so `--min 5` reads as written.
 */

/** Quotes one word for a POSIX shell: the shell passes it on literally, whatever it holds. */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
