/**
 * The hashing under the cache keys: one canonical JSON (so the same
 * components always give the same key, whatever order their keys were
 * built in) and sha256 of strings and files.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * JSON with object keys sorted at every level and `undefined` members
 * left out: equal values give equal text. Arrays keep their order (it
 * means something: files in input order, upstreams as listed).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = sortKeys(v);
  }
  return out;
}

/** Hex sha256 of a string (as UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hex sha256 of a file's content, streamed (any size, constant memory). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 of a file, or null when it does not exist (a missing file is part of a key too: creating it changes the key). */
export async function sha256FileOrNull(path: string): Promise<string | null> {
  try {
    return await sha256File(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR') return null;
    throw e;
  }
}
