/**
 * A number with its thousands grouped as en-US does ("100,000"), without
 * Intl: the first `toLocaleString` of a process loads ICU's locale data,
 * ~80-200 ms measured on this machine, more than the rest of `djc status`.
 * Integers (every count djc prints) are grouped here; anything else goes to
 * toLocaleString, so the text is the same either way.
 */
export function groupDigits(x: number): string {
  if (!Number.isSafeInteger(x)) return x.toLocaleString('en-US');
  const digits = String(Math.abs(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return x < 0 ? `-${digits}` : digits;
}
