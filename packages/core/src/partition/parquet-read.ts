/**
 * Reading a Parquet batch back: the rows of its row groups as plain objects
 * (module handlers), or as JSON lines (command handlers). One row group is
 * decoded at a time, from the batch's byte range only (ranged reads on S3),
 * after the footer; memory is about one row group, compressed and decoded.
 */
import { parquetRead, type AsyncBuffer, type FileMetaData, type RowGroup } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DjcError } from '../errors.js';
import type { BatchDescriptor } from '../model/batch.js';
import type { BadRecordSink } from './bad-record.js';
import { checkUnchanged, fileChanged, openInput } from './open-input.js';
import { asyncBufferOf, isReadError, readParquetFooter, rowGroupRange, rowGroupsRange } from './parquet-file.js';
import { ISO_PARSERS, plainRow } from './parquet-values.js';

/** JSON lines are handed to the stream in pieces of about this many characters. */
const LINES_CHUNK = 64 << 10;

type Row = Record<string, unknown>;

/**
 * The batch's rows, one object per row with every top-level column (values
 * converted as parquet-values.ts says). A row group that cannot be decoded
 * is INPUT_INVALID naming the file, the row group and the batch; with a
 * `sink` (on_bad_record skip or dead_letter) it is reported there instead,
 * its rows counted as bad, and reading goes on.
 */
export async function* readParquetRecords(batch: BatchDescriptor, sink?: BadRecordSink): AsyncGenerator<Row> {
  for await (const rows of readRowGroups(batch, sink)) yield* rows;
}

/** The batch as JSON lines: `JSON.stringify` of each row of readParquetRecords, "\n" after each; rows counted in `tally`. */
export async function* parquetJsonLines(batch: BatchDescriptor, tally: { records: number }, sink?: BadRecordSink): AsyncGenerator<Buffer> {
  for await (const rows of readRowGroups(batch, sink)) {
    tally.records += rows.length;
    let text = '';
    for (const row of rows) {
      text += `${JSON.stringify(row)}\n`;
      if (text.length >= LINES_CHUNK) {
        yield Buffer.from(text, 'utf8');
        text = '';
      }
    }
    if (text !== '') yield Buffer.from(text, 'utf8');
  }
}

/** The converted rows of each of the batch's row groups, in order (an undecodable one skipped when there is a sink). */
async function* readRowGroups(batch: BatchDescriptor, sink: BadRecordSink | undefined): AsyncGenerator<Row[]> {
  const groups = batch.rowGroups;
  if (groups === undefined) {
    throw new DjcError('INPUT_INVALID', `${batch.file}: batch ${batch.index} names no Parquet row groups`, {
      hint: 'the job was prepared for another input.format; submit it again',
    });
  }
  const src = await openInput(batch.file, batch.end > batch.start ? [[batch.start, batch.end]] : [], batch.source);
  try {
    const file = asyncBufferOf(src);
    const metadata = await readParquetFooter(src, file);
    checkLayout(batch, metadata);
    let rowStart = 0;
    for (const rg of metadata.row_groups.slice(0, groups.first)) rowStart += Number(rg.num_rows);
    for (let g = groups.first; g < groups.first + groups.count; g++) {
      const n = Number((metadata.row_groups[g] as { num_rows: bigint }).num_rows);
      if (n > 0) {
        const rows = await readRowGroup(file, metadata, batch, g, rowStart, n, sink);
        if (rows !== null) {
          for (let i = 0; i < rows.length; i++) rows[i] = plainRow(rows[i] as Row); // in place: one row group in memory
          yield rows;
        }
      }
      rowStart += n;
    }
    await checkUnchanged(src, batch.source);
  } finally {
    await src.close();
  }
}

/** The rows of one row group; null when it cannot be decoded and `sink` took it. */
async function readRowGroup(
  file: AsyncBuffer, metadata: FileMetaData, batch: BatchDescriptor, group: number, rowStart: number, rows: number,
  sink: BadRecordSink | undefined,
): Promise<Row[] | null> {
  const bad = (why: string, cause?: unknown): null => {
    if (sink === undefined) throw undecodable(batch, group, rowStart, rows, why, cause);
    const [offset] = rowGroupRange(metadata.row_groups[group] as RowGroup);
    sink({ file: batch.file, offset, batch: batch.index, record: rowStart - firstRow(metadata, batch), problem: `row group cannot be decoded: ${why}`, rowGroup: group, rows });
    return null;
  };
  let out: Row[] = [];
  try {
    await parquetRead({
      file,
      metadata,
      compressors,
      parsers: ISO_PARSERS,
      rowStart,
      rowEnd: rowStart + rows,
      rowFormat: 'object',
      onComplete: (r: Row[]) => {
        out = r;
      },
    });
  } catch (e) {
    if (isReadError(e)) throw e;
    return bad(describe(e), e);
  }
  if (out.length !== rows) return bad(`decoded ${out.length} rows, the footer says ${rows}`);
  return out;
}

/** Index in the file of the batch's first row. */
function firstRow(metadata: FileMetaData, batch: BatchDescriptor): number {
  const first = batch.rowGroups?.first ?? 0;
  return metadata.row_groups.slice(0, first).reduce((n, rg) => n + Number(rg.num_rows), 0);
}

function undecodable(batch: BatchDescriptor, group: number, rowStart: number, rows: number, why: string, cause?: unknown): DjcError {
  const where = `rows ${rowStart}-${rowStart + rows - 1} of the file, batch ${batch.index}`;
  return new DjcError('INPUT_INVALID', `${batch.file}: Parquet row group ${group} cannot be decoded (${where}): ${why}`, {
    cause,
    taskId: batch.index,
    details: { file: batch.file, rowGroup: group, batch: batch.index },
  });
}

/** The footer must still describe the batch the job was prepared with. */
function checkLayout(batch: BatchDescriptor, metadata: FileMetaData): void {
  const { first, count } = batch.rowGroups as { first: number; count: number };
  const groups = metadata.row_groups.slice(first, first + count);
  const rows = groups.reduce((n, rg) => n + Number(rg.num_rows), 0);
  const [start, end] = rowGroupsRange(metadata, first, count);
  if (groups.length !== count || rows !== batch.records || start !== batch.start || end !== batch.end) {
    throw fileChanged(batch.file, `row groups ${first}-${first + count - 1} are not those of batch ${batch.index}`);
  }
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.name === 'Error' ? e.message : `${e.name}: ${e.message}`;
}
