import { open, type FileHandle } from 'node:fs/promises';
import { DjcError } from '../errors.js';
import { isS3Url, type InputSource, type InputStat, type ReadPlan } from './input-source.js';

/**
 * Opens an input file (a local path or an `s3://bucket/key` URL) for
 * reading; a missing, unreadable or non-regular file is INPUT_INVALID.
 * `plan`: the ranges about to be read (see ReadPlan); only S3 uses it.
 */
export async function openInput(file: string, plan?: ReadPlan): Promise<InputSource> {
  if (isS3Url(file)) {
    const { openS3Input } = await import('./s3-source.js');
    return openS3Input(file, plan);
  }
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(e);
    throw new DjcError('INPUT_INVALID', `${file}: cannot open input: ${why}`, { cause: e });
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) {
      throw new DjcError('INPUT_INVALID', `${file}: not a regular file`, {
        hint: 'name files, or a glob such as dir/*.jsonl, in input.path',
      });
    }
    return new LocalSource(file, fh, stat);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

class LocalSource implements InputSource {
  readonly size: number;
  readonly mtimeMs: number;

  constructor(
    readonly name: string,
    private readonly fh: FileHandle,
    st: InputStat,
  ) {
    this.size = st.size;
    this.mtimeMs = st.mtimeMs;
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return this.fh.read(buffer, offset, length, position);
  }

  async stat(): Promise<InputStat> {
    const { size, mtimeMs } = await this.fh.stat();
    return { size, mtimeMs };
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export function fileChanged(file: string, detail: string): DjcError {
  return new DjcError('INPUT_INVALID', `${file}: the file changed while djc was reading it (${detail})`, {
    hint: 'do not modify input files while a job runs; submit the job again',
  });
}
