/**
 * Small checks for rows read back from a backend without zod (a read of the
 * local home must not load it: issue 14). Their messages follow zod's, so
 * an error reads the same whichever checked the value.
 */

export type Obj = Record<string, unknown>;

/** A JSON-style object (not null, not an array). */
export function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What zod (v4's parsedType and English messages) calls the type of a value it did not expect. */
function received(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'object' && Object.getPrototypeOf(v) !== Object.prototype && 'constructor' in v && v.constructor) {
    return (v.constructor as { name: string }).name;
  }
  return typeof v;
}

/** Zod's message for a value of the wrong type. */
export function badValue(expected: string, v: unknown): string {
  return `Invalid input: expected ${expected}, received ${received(v)}`;
}

/** zod's z.string(), z.number() (finite), z.boolean(). */
export const isString = (v: unknown): v is string => typeof v === 'string';
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

/** zod's z.record(z.string(), value): a copy with every value parsed, or null when one does not parse. */
export function recordOf<T>(v: unknown, value: (x: unknown) => T | undefined): Record<string, T> | null {
  if (!isPlainObject(v)) return null;
  const out: Record<string, T> = {};
  for (const key of Object.keys(v)) {
    const parsed = value(v[key]);
    if (parsed === undefined) return null;
    out[key] = parsed;
  }
  return out;
}
