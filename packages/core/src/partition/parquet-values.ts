/**
 * How Parquet values become the plain values a handler sees. The same value
 * goes to a module handler (as is) and to a command handler (as one JSON
 * line per row), so both see the same record:
 *
 * - INT64 (and UINT_64): a number when it is a safe integer
 *   (|n| ≤ 2^53 − 1), else its decimal string ("9007199254740993").
 * - TIMESTAMP, INT96: an ISO 8601 string in UTC with the column's precision
 *   ("2024-05-01T12:00:00.123Z", "…00.123456Z" for micros, "…00.123456789Z"
 *   for nanos). DATE: "2024-05-01". A value outside the range of a JS Date
 *   becomes the raw number as a string.
 * - Strings stay strings; JSON columns are parsed; BYTE_ARRAY without a
 *   string annotation is read as UTF-8 text; other bytes (FIXED_LEN_BYTE_ARRAY
 *   without an annotation) become a base64 string. DECIMAL is a number
 *   (hyparquet's conversion). UUID is its 8-4-4-4-12 hex string.
 * - Nulls (and missing nested values) are `null`; structs are objects, lists
 *   are arrays, maps are objects keyed by the map's keys.
 * - Floats stay numbers; NaN and ±Infinity become `null` in the JSON line
 *   (JSON cannot write them) but reach module handlers unchanged.
 */
import type { ParquetParsers } from 'hyparquet';

const MS_PER_DAY = 86_400_000;
/** The largest |milliseconds| a JS Date holds. */
const MAX_DATE_MS = 8.64e15;

/** Turns a decoded Parquet value into a plain JS value (see the file header). */
export function plainValue(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  switch (typeof v) {
    case 'bigint':
      return bigintValue(v);
    case 'object':
      return plainObject(v as object);
    default:
      return v;
  }
}

function plainObject(v: object): unknown {
  if (Array.isArray(v)) return v.map(plainValue);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>, plainValue);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) out[key] = plainValue((v as Record<string, unknown>)[key]);
  return out;
}

function bigintValue(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** The row object of one Parquet row: every top-level column, converted. */
export function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(row)) out[key] = plainValue(row[key]);
  return out;
}

/**
 * hyparquet parsers that write timestamps and dates as ISO strings directly,
 * keeping micro- and nanosecond digits a Date would drop.
 */
export const ISO_PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (ms: bigint) => isoTimestamp(ms, 1n, 0),
  timestampFromMicroseconds: (us: bigint) => isoTimestamp(us, 1000n, 3),
  timestampFromNanoseconds: (ns: bigint) => isoTimestamp(ns, 1_000_000n, 6),
  dateFromDays: (days: number) => {
    const ms = days * MS_PER_DAY;
    return Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString().slice(0, -'T00:00:00.000Z'.length) : String(days);
  },
};

/**
 * `value` counts units of 1/`perMs` millisecond; `extraDigits` is how many
 * digits finer than milliseconds to print.
 */
function isoTimestamp(value: bigint | number, perMs: bigint, extraDigits: number): string {
  const v = BigInt(value);
  let ms = v / perMs;
  let rest = v % perMs;
  if (rest < 0n) {
    // Floor division, so that the sub-millisecond digits are never negative.
    ms -= 1n;
    rest += perMs;
  }
  if (ms > BigInt(MAX_DATE_MS) || ms < -BigInt(MAX_DATE_MS)) return v.toString();
  const iso = new Date(Number(ms)).toISOString();
  if (extraDigits === 0) return iso;
  return `${iso.slice(0, -1)}${rest.toString().padStart(extraDigits, '0')}Z`;
}
