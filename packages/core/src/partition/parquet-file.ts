/**
 * A Parquet input file seen through an InputSource: hyparquet's AsyncBuffer
 * over positional reads (local files, or ranged GETs for s3://), the footer
 * metadata, and the byte range of each row group.
 *
 * Vocabulary: a *row group* is Parquet's horizontal slice of a file: every
 * column's chunk for a run of rows. A Parquet batch is a run of whole row
 * groups of one file.
 */
import { parquetMetadata, type AsyncBuffer, type FileMetaData, type RowGroup } from 'hyparquet';
import { DjcError } from '../errors.js';
import type { InputSource } from './input-source.js';
import { ISO_PARSERS } from './parquet-values.js';

/** "PAR1", little-endian. */
const MAGIC = 0x31524150;
/** Header magic + footer length + footer magic. */
const MIN_SIZE = 12;
/** Tail bytes read first; a larger footer costs one more read. */
const FOOTER_FETCH = 64 << 10;

/**
 * Errors thrown by reads (I/O: a file that went away, S3 unreachable), as
 * opposed to errors decoding the bytes read. Only the latter mean a bad file.
 */
const ioErrors = new WeakSet<object>();

export function isReadError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && ioErrors.has(e);
}

/** hyparquet's view of the source: `slice(start, end)` reads exactly those bytes. */
export function asyncBufferOf(src: InputSource): AsyncBuffer {
  return {
    byteLength: src.size,
    async slice(start: number, end: number = src.size): Promise<ArrayBuffer> {
      const length = Math.max(0, Math.min(end, src.size) - start);
      const out = new ArrayBuffer(length);
      const view = Buffer.from(out);
      let n = 0;
      try {
        while (n < length) {
          const { bytesRead } = await src.read(view, n, length - n, start + n);
          if (bytesRead === 0) break;
          n += bytesRead;
        }
      } catch (e) {
        if (typeof e === 'object' && e !== null) ioErrors.add(e);
        throw e;
      }
      if (n < length) {
        const e = new DjcError('INPUT_INVALID', `${src.name}: the file ended at ${start + n} bytes, expected ${src.size}`, {
          hint: 'do not modify input files while a job runs; submit the job again',
        });
        ioErrors.add(e);
        throw e;
      }
      return out;
    },
  };
}

/**
 * Reads and parses the footer, reading only the tail of the file (one read
 * of up to 64 KiB, and one more for a larger footer). A file that is not
 * Parquet, or whose footer cannot be decoded, is INPUT_INVALID naming it.
 */
export async function readParquetFooter(src: InputSource, file: AsyncBuffer = asyncBufferOf(src)): Promise<FileMetaData> {
  if (src.size < MIN_SIZE) throw notParquet(src.name, `${src.size} bytes, too short`);
  const tailStart = Math.max(0, src.size - FOOTER_FETCH);
  let footer = Buffer.from(await file.slice(tailStart, src.size));
  if (footer.readUInt32LE(footer.length - 4) !== MAGIC) throw notParquet(src.name, 'no PAR1 footer');
  const length = footer.readUInt32LE(footer.length - 8);
  if (length + MIN_SIZE > src.size) throw notParquet(src.name, `its footer claims ${length} bytes, more than the file holds`);
  const footerStart = src.size - 8 - length;
  if (footerStart < tailStart) footer = Buffer.concat([Buffer.from(await file.slice(footerStart, tailStart)), footer]);
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(footer.subarray(footer.length - 8 - length), { parsers: ISO_PARSERS });
  } catch (e) {
    throw new DjcError('INPUT_INVALID', `${src.name}: cannot read the Parquet footer: ${(e as Error).message}`, { cause: e });
  }
  for (const [i, rg] of metadata.row_groups.entries()) checkRowGroup(src.name, rg, i);
  return metadata;
}

function notParquet(file: string, why: string): DjcError {
  return new DjcError('INPUT_INVALID', `${file}: not a Parquet file (${why})`, {
    hint: 'set input.format to the format of the files, or name only Parquet files in input.path',
  });
}

function checkRowGroup(file: string, rg: RowGroup, index: number): void {
  for (const chunk of rg.columns) {
    if (chunk.file_path) {
      throw new DjcError('INPUT_INVALID', `${file}: row group ${index} keeps a column chunk in another file (${chunk.file_path}); not supported`);
    }
    if (!chunk.meta_data) {
      throw new DjcError('INPUT_INVALID', `${file}: row group ${index} has a column chunk without metadata (an encrypted file?); not supported`);
    }
  }
}

/** Bytes [start, end) covered by the row group's column chunks (dictionary pages included). */
export function rowGroupRange(rg: RowGroup): [number, number] {
  let start = Infinity;
  let end = 0;
  for (const chunk of rg.columns) {
    const meta = chunk.meta_data;
    if (!meta) continue;
    const from = Number(meta.dictionary_page_offset || meta.data_page_offset);
    start = Math.min(start, from);
    end = Math.max(end, from + Number(meta.total_compressed_size));
  }
  return start === Infinity ? [0, 0] : [start, end];
}

/** Bytes [start, end) covered by row groups [first, first + count). */
export function rowGroupsRange(metadata: FileMetaData, first: number, count: number): [number, number] {
  let start = Infinity;
  let end = 0;
  for (const rg of metadata.row_groups.slice(first, first + count)) {
    const [s, e] = rowGroupRange(rg);
    if (e <= s) continue;
    start = Math.min(start, s);
    end = Math.max(end, e);
  }
  return start === Infinity ? [0, 0] : [start, end];
}
