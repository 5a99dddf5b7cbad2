/**
 * Blob keys, the same on every backend: '/'-separated, relative, no '.' or
 * '..' segments, no empty segments, no backslash or NUL, at most 1024
 * characters, and no segment that starts with TMP_PREFIX (FsBlobStore's temp
 * files). A key that one BlobStore accepts is accepted by all of them, so a
 * job's blobs can move between the local and the AWS backend, and no key can
 * name a file outside the local blob directory.
 */
import { DjcError } from '../errors.js';

/** Name prefix of the temp files FsBlobStore writes before its rename; reserved in every key. */
export const TMP_PREFIX = '.djc-tmp-';

const MAX_KEY_LENGTH = 1024;

function invalid(key: string, why: string): DjcError {
  return new DjcError('USAGE', `invalid blob key ${JSON.stringify(key)}: ${why}`, {
    hint: 'blob keys are relative, "/"-separated names such as "jobs/<jobId>/manifest.json"',
  });
}

/** Throws a USAGE DjcError unless `key` is a valid blob key. */
export function assertBlobKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw invalid(String(key), 'empty');
  assertSafe(key);
  for (const seg of key.split('/')) {
    if (seg === '') throw invalid(key, 'empty segment (leading, trailing or double "/")');
  }
}

/** Throws a USAGE DjcError unless `prefix` is usable for `list` ("" lists everything). */
export function assertBlobPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw invalid(String(prefix), 'not a string');
  if (prefix !== '') assertSafe(prefix);
}

function assertSafe(key: string): void {
  if (key.length > MAX_KEY_LENGTH) throw invalid(key, `longer than ${MAX_KEY_LENGTH} characters`);
  if (key.startsWith('/')) throw invalid(key, 'absolute');
  if (key.includes('\\') || key.includes('\0')) throw invalid(key, 'contains a backslash or NUL');
  for (const seg of key.split('/')) {
    if (seg === '.' || seg === '..') throw invalid(key, `"${seg}" segment`);
    if (seg.startsWith(TMP_PREFIX)) throw invalid(key, `segment starts with ${TMP_PREFIX}`);
  }
}
