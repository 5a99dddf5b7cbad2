/**
 * A cache entry as both backends store it (JSON text for its structured
 * parts), parsed back with the schemas: an entry that does not parse (e.g.
 * written by another version of djc) reads as absent, which is a cache miss,
 * always safe.
 */
import { DjcError } from '../errors.js';
import type { CacheEntry } from '../ports/cache-index.js';
import { parseStoredComponents, pointValue } from '../pipeline/stored-components.js';
import { isFiniteNumber, isPlainObject, isString, recordOf } from './stored-shape.js';

/** The stored result reference ({ blobKey, sha256, bytes }, other keys dropped), or null. */
function resultRefOf(v: unknown): CacheEntry['result'] | null {
  if (!isPlainObject(v) || !isString(v.blobKey) || !isString(v.sha256) || !isFiniteNumber(v.bytes)) return null;
  return { blobKey: v.blobKey, sha256: v.sha256, bytes: v.bytes };
}

export interface StoredCacheEntry {
  key: string;
  jobId: string;
  pipeline: string;
  stage: string;
  /** JSON text, or null for no point. */
  point: string | null;
  components: string;
  result: string;
  createdAt: string;
}

/** Largest components stored (JSON bytes): a DynamoDB item holds at most 400 KB; both backends refuse more alike. */
export const MAX_COMPONENTS_BYTES = 300 * 1024;

/** The fields a backend stores for an entry (structured parts as JSON text). Components over MAX_COMPONENTS_BYTES are CONFIG_INVALID. */
export function storedCacheEntry(e: CacheEntry): StoredCacheEntry {
  const components = JSON.stringify(e.components);
  if (Buffer.byteLength(components) > MAX_COMPONENTS_BYTES) {
    throw new DjcError('CONFIG_INVALID', `stage ${e.stage} of pipeline ${e.pipeline}: its cache components take ${Math.ceil(Buffer.byteLength(components) / 1024)} KiB, over ${MAX_COMPONENTS_BYTES / 1024} KiB, so its run is not indexed`, {
      hint: 'the handler imports too many local files (or has too many input files) to index; import shared code as a package',
      jobId: e.jobId,
    });
  }
  return {
    key: e.key, jobId: e.jobId, pipeline: e.pipeline, stage: e.stage,
    point: e.point === null ? null : JSON.stringify(e.point),
    components, result: JSON.stringify(e.result), createdAt: e.createdAt,
  };
}

export function cacheEntryOf(s: StoredCacheEntry): CacheEntry | null {
  const components = parseStoredComponents(s.components);
  const result = resultRefOf(parseJson(s.result));
  const point = s.point === null ? null : recordOf(parseJson(s.point), pointValue);
  if (components === null || result === null || (s.point !== null && point === null)) return null;
  return { key: s.key, jobId: s.jobId, pipeline: s.pipeline, stage: s.stage, point, components, result, createdAt: s.createdAt };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
