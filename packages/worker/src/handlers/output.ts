import type { OutputKind } from '@djc/core';

/** A handler's return value as bytes to store, and how a reducer reads them back. */
export interface EncodedOutput {
  kind: OutputKind;
  /** A string is stored as UTF-8. */
  data: string | Uint8Array;
}

/**
 * Encodes a module handler's return value:
 * - array → `json-lines`: one JSON line per element, each ending in "\n";
 * - `undefined` → `json-lines` with no lines;
 * - string, Buffer, Uint8Array, ArrayBuffer → `raw`, as is;
 * - anything else (object, number, boolean, null) → `json`: one line + "\n".
 *
 * @throws TypeError when a value cannot be written as JSON (a BigInt, a cycle, a function).
 */
export function encodeOutput(value: unknown): EncodedOutput {
  if (value === undefined) return { kind: 'json-lines', data: '' };
  if (typeof value === 'string') return { kind: 'raw', data: value };
  if (value instanceof Uint8Array) return { kind: 'raw', data: value };
  if (value instanceof ArrayBuffer) return { kind: 'raw', data: new Uint8Array(value) };
  if (Array.isArray(value)) return { kind: 'json-lines', data: jsonLines(value) };
  return { kind: 'json', data: `${toJson(value)}\n` };
}

function jsonLines(values: unknown[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = toJson(values[i], i);
  return parts.length === 0 ? '' : `${parts.join('\n')}\n`;
}

function toJson(value: unknown, index?: number): string {
  // `undefined` inside an array becomes `null`, as JSON.stringify does for arrays.
  if (value === undefined) return 'null';
  const json = JSON.stringify(value);
  if (json === undefined) {
    const where = index === undefined ? 'the returned value' : `element ${index}`;
    throw new TypeError(`${where} is a ${typeof value}, which has no JSON form`);
  }
  return json;
}
