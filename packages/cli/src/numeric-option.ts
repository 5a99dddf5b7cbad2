/**
 * The one way djc reads a number from the command line: every numeric
 * option (`--limit`, `--task`, `--interval`, `--concurrency`, `--grace`, …)
 * is an intOption or a durationOption, so a bad value always fails the same
 * way: exit 2, a message naming the option, the form it takes and its
 * range, and an example. Never NaN, never an internal error.
 */
import { Option } from 'commander';
import { DjcError } from '@djc/core/errors';
import { formatDuration, parseDuration } from '@djc/core/units';

export interface IntSpec {
  min?: number;
  max?: number;
}

export interface DurationSpec {
  /** Milliseconds. */
  min?: number;
  /** Milliseconds (default: 7 days; nothing djc waits for makes sense beyond). */
  max?: number;
}

const WEEK_MS = 7 * 86_400_000;

/** A whole number in [min, max] (default min 0), e.g. `--limit 20`. */
export function parseIntArg(flag: string, value: string, spec: IntSpec = {}): number {
  const min = spec.min ?? 0;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  const n = Number(value.trim());
  if (/^\s*[+-]?\d+\s*$/.test(value) && Number.isSafeInteger(n) && n >= min && n <= max) return n;
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  throw new DjcError('USAGE', `${flag} expects a whole number, ${range}; got "${value}"`, { hint: `e.g. ${flag} ${Math.max(min, Math.min(max, 10))}` });
}

/** A duration in milliseconds: seconds (`1.5`) or with units (`500ms`, `2s`, `1m30s`, `1h`). */
export function parseDurationArg(flag: string, value: string, spec: DurationSpec = {}): number {
  const min = spec.min ?? 0;
  const max = spec.max ?? WEEK_MS;
  const ms = parseDuration(value);
  if (ms !== null && Number.isFinite(ms) && ms >= min && ms <= max) return ms;
  const range = `from ${formatDuration(min)} to ${formatDuration(max)}`;
  throw new DjcError('USAGE', `${flag} expects a duration, ${range}: seconds (2, 0.5) or with a unit (500ms, 2s, 1m, 1h); got "${value}"`, {
    hint: `e.g. ${flag} ${min > 2000 ? formatDuration(min) : '2s'}`,
  });
}

/** `new Option(flags, description)` whose value is parsed by parseIntArg. */
export function intOption(flags: string, description: string, spec: IntSpec & { default?: number } = {}): Option {
  const o = new Option(flags, description);
  o.argParser((v: string) => parseIntArg(flagOf(o), v, spec));
  return spec.default === undefined ? o : o.default(spec.default);
}

/** `new Option(flags, description)` whose value (milliseconds) is parsed by parseDurationArg. */
export function durationOption(flags: string, description: string, spec: DurationSpec & { default?: number } = {}): Option {
  const o = new Option(flags, description);
  o.argParser((v: string) => parseDurationArg(flagOf(o), v, spec));
  return spec.default === undefined ? o : o.default(spec.default, formatDuration(spec.default));
}

function flagOf(o: Option): string {
  return o.long ?? o.short ?? o.flags;
}
