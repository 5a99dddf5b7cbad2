import { describe, expect, it } from 'vitest';
import { asDiskFull, DjcError, EXIT, exitCodeFor, isDiskFull } from './errors.js';

const errno = (code: string) => Object.assign(new Error(`${code}: no space`), { code });

describe('disk full', () => {
  it('recognises a full disk from the file system, either SQLite driver, or a cause', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'EFBIG']) expect(isDiskFull(errno(code))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13 }))).toBe(true);
    expect(isDiskFull(new DjcError('BACKEND_UNAVAILABLE', 'wrapped', { cause: errno('ENOSPC') }))).toBe(true);
    expect(isDiskFull(errno('EACCES'))).toBe(false);
    expect(isDiskFull(Object.assign(new Error('busy'), { code: 'ERR_SQLITE_ERROR', errcode: 5 }))).toBe(false);
    expect(isDiskFull(undefined)).toBe(false);
  });

  it('says so as DISK_FULL, exit 3, and leaves other errors alone', () => {
    const full = asDiskFull(errno('ENOSPC'), 'of the blob store (/x)');
    expect(full).toBeInstanceOf(DjcError);
    expect(full).toMatchObject({ code: 'DISK_FULL', message: 'no space left on the disk of the blob store (/x)' });
    expect(exitCodeFor(full)).toBe(EXIT.BACKEND);
    expect(exitCodeFor(errno('ENOSPC'))).toBe(EXIT.BACKEND);
    const other = errno('EACCES');
    expect(asDiskFull(other, 'x')).toBe(other);
    expect(exitCodeFor(other)).toBe(EXIT.INTERNAL);
  });
});
