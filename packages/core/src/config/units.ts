/** Parsing of human durations ("90s", "10m", "1h30m") and sizes ("64MiB"). */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/;

/** Milliseconds for "250ms", "10s", "10m", "1h30m", or a bare number of seconds. */
export function parseDuration(input: string | number): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input * 1000 : null;
  let rest = input.trim();
  if (/^\d+(\.\d+)?$/.test(rest)) return Number(rest) * 1000;
  if (rest === '') return null;
  let total = 0;
  while (rest.length > 0) {
    const m = DURATION_RE.exec(rest);
    if (!m) return null;
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return total;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4,
};

/** Bytes for "512", "64KiB", "64MiB", "2G", "1.5GB". */
export function parseSize(input: string | number): number | null {
  if (typeof input === 'number') return Number.isInteger(input) && input >= 0 ? input : null;
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(input.trim());
  if (!m) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const factor = unit === '' ? 1 : SIZE_UNITS[unit];
  if (factor === undefined) return null;
  return Math.floor(Number(m[1]) * factor);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h >= 24 && h % 24 === 0 && m % 60 === 0) return `${h / 24}d`;
  return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
}

const BINARY_UNITS: Array<[string, number]> = [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]];

/**
 * "64MiB", "1.5GiB", "1TiB", "1500" (bytes): the largest binary unit that
 * gives a whole number or one exact decimal, in the form parseSize reads back.
 */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of BINARY_UNITS) {
    if (bytes < factor) continue;
    if (bytes % factor === 0) return `${bytes / factor}${unit}`;
    if ((bytes * 10) % factor === 0) return `${(bytes / factor).toFixed(1)}${unit}`;
  }
  return String(bytes);
}
