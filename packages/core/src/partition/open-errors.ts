/** Why a local input file cannot be read, worded once for every way of opening it. */
import { DjcError } from '../errors.js';

export function cannotOpen(file: string, e: unknown): DjcError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(e);
  return new DjcError('INPUT_INVALID', `${file}: cannot open input: ${why}`, { cause: e });
}

export function notRegularFile(file: string): DjcError {
  return new DjcError('INPUT_INVALID', `${file}: not a regular file`, {
    hint: 'name files, or a glob such as dir/*.jsonl, in input.path',
  });
}
