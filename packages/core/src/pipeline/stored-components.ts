/**
 * Cache components read back from a backend (cache-components.ts has their
 * zod schema, the reference): checked by hand so that opening the local
 * home (every CLI read) does not load zod (issue 14). Same result as
 * `CacheComponentsSchema.safeParse` (stored-components.test.ts compares
 * them): unknown keys dropped, null when the shape is not this version's.
 */
import { isBoolean, isFiniteNumber, isPlainObject, isString, recordOf, type Obj } from '../backends/stored-shape.js';
import type { CacheComponents, CodeComponent, FileHash, InputComponent, InputFile, UpstreamResult } from './cache-components.js';

/** Parses an object whose every field parses; `undefined` when one does not (the fields listed only: unknown keys dropped). */
function fields<T>(v: unknown, parse: (o: Obj) => T | undefined): T | undefined {
  return isPlainObject(v) ? parse(v) : undefined;
}

function listOf<T>(v: unknown, item: (x: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: T[] = [];
  for (const x of v) {
    const parsed = item(x);
    if (parsed === undefined) return undefined;
    out.push(parsed);
  }
  return out;
}

const orUndef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

const fileHash = (v: unknown): FileHash | undefined => fields(v, (o) =>
  (isString(o.path) && (o.sha256 === null || isString(o.sha256)) ? { path: o.path, sha256: o.sha256 } : undefined));

function codeComponent(v: unknown): CodeComponent | undefined {
  return fields(v, (o): CodeComponent | undefined => {
    const files = listOf(o.files, fileHash);
    if (files === undefined) return undefined;
    if (o.kind === 'module') {
      const packages = orUndef(recordOf(o.packages, (x) => (x === null || isString(x) ? x : undefined)));
      if (!isString(o.entry) || !isString(o.export) || packages === undefined) return undefined;
      return { kind: 'module', entry: o.entry, export: o.export, files, packages };
    }
    if (o.kind === 'command') return isString(o.command) ? { kind: 'command', command: o.command, files } : undefined;
    return undefined;
  });
}

const inputFile = (v: unknown): InputFile | undefined => fields(v, (o) => {
  if (!isString(o.path) || !isFiniteNumber(o.size)) return undefined;
  if ((o.mtimeMs !== undefined && !isFiniteNumber(o.mtimeMs)) || (o.sha256 !== undefined && !isString(o.sha256)) || (o.etag !== undefined && !isString(o.etag))) return undefined;
  return {
    path: o.path, size: o.size,
    ...(o.mtimeMs === undefined ? {} : { mtimeMs: o.mtimeMs }),
    ...(o.sha256 === undefined ? {} : { sha256: o.sha256 }),
    ...(o.etag === undefined ? {} : { etag: o.etag }),
  } as InputFile;
});

const upstream = (v: unknown): UpstreamResult | undefined => fields(v, (o) =>
  (isString(o.stage) && (o.sha256 === null || isString(o.sha256)) ? { stage: o.stage, sha256: o.sha256 } : undefined));

function inputComponent(v: unknown): InputComponent | undefined {
  return fields(v, (o): InputComponent | undefined => {
    if (o.kind === 'files') {
      const files = listOf(o.files, inputFile);
      return isBoolean(o.checksum) && files !== undefined ? { kind: 'files', checksum: o.checksum, files } : undefined;
    }
    if (o.kind === 'upstream') {
      const upstreams = listOf(o.upstreams, upstream);
      return upstreams === undefined ? undefined : { kind: 'upstream', upstreams };
    }
    return undefined;
  });
}

/** z.union([z.string(), z.number(), z.boolean()]): a matrix point's value. */
export const pointValue = (x: unknown): string | number | boolean | undefined => (isString(x) || isFiniteNumber(x) || isBoolean(x) ? x : undefined);

/** A setting's value: string, number, boolean, null or an array (copied). */
type SettingValue = CacheComponents['settings'][string];
const settingValue = (x: unknown): SettingValue | undefined => (x === null || pointValue(x) !== undefined ? (x as SettingValue) : Array.isArray(x) ? [...x] : undefined);

/** Components already JSON-parsed, or null when they are not this version's shape. */
export function componentsOf(raw: unknown): CacheComponents | null {
  return fields(raw, (o): CacheComponents | undefined => {
    if (o.v !== 1) return undefined;
    const handler = codeComponent(o.handler);
    const reducer = o.reducer === null ? null : codeComponent(o.reducer);
    const settings = recordOf(o.settings, settingValue);
    const params = isPlainObject(o.params) ? { ...o.params } : null; // z.record(z.string(), z.unknown())
    const point = o.point === null ? null : recordOf(o.point, pointValue);
    const input = inputComponent(o.input);
    if (handler === undefined || reducer === undefined || settings === null || params === null || (o.point !== null && point === null) || input === undefined) return undefined;
    return {
      v: 1, handler, reducer, settings,
      params, point, input,
    };
  }) ?? null;
}

/** Stored components read back, or null when they are not this version's shape (such an entry is a miss, never an error: re-running is always safe). */
export function parseStoredComponents(json: string): CacheComponents | null {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return null;
  }
  return componentsOf(raw);
}
