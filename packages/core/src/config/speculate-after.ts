/**
 * compute.speculate's `after`, without zod: its parse and how it reads in
 * messages (the coordinator's speculator formats it; `djc run` loads no zod
 * for it). speculate-setting.ts builds the schema over it.
 */
import { formatDuration, parseDuration } from './units.js';

/** A copy is started once a task has run longer than this. */
export type SpeculateAfter =
  | { kind: 'percentile'; percentile: number; factor: number }
  | { kind: 'fixed'; ms: number };

const RELATIVE = /^p(\d{1,2}(?:\.\d+)?)\s*[x×*]\s*(\d+(?:\.\d+)?)$/i;
const MIN_FIXED_MS = 1000;

/** Parses `after`; a string naming what is wrong otherwise. */
export function parseSpeculateAfter(v: string | number): SpeculateAfter | string {
  const text = String(v).trim();
  const m = RELATIVE.exec(text);
  if (m) {
    const percentile = Number(m[1]);
    const factor = Number(m[2]);
    if (percentile <= 0 || percentile >= 100) return `the percentile of "${text}" must be between p1 and p99`;
    if (factor < 1 || factor > 100) return `the factor of "${text}" must be from 1 to 100 (a copy of a task no slower than its peers is waste)`;
    return { kind: 'percentile', percentile, factor };
  }
  const ms = parseDuration(v);
  if (ms === null) {
    return `expected "p95x2" (a task running longer than twice the 95th percentile of its finished peers' durations) `
      + `or a duration such as "10m", found ${JSON.stringify(v)}`;
  }
  if (ms < MIN_FIXED_MS) return `expected a duration of at least ${formatDuration(MIN_FIXED_MS)}, found ${JSON.stringify(v)}`;
  return { kind: 'fixed', ms };
}

/** How `after` reads in messages: "p95x2" or "10m". */
export function formatSpeculateAfter(a: SpeculateAfter): string {
  return a.kind === 'fixed' ? formatDuration(a.ms) : `p${a.percentile}x${a.factor}`;
}
