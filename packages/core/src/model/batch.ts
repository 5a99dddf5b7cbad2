/**
 * A batch is a descriptor, not a copy: a byte range of one input file that
 * holds whole records. One task runs one batch. Split by records, a batch's
 * record count is known at prepare; split by bytes (`batch.bytes`), it is
 * null until the task has run (the task record then holds it).
 */
export interface BatchDescriptor {
  /** Batch number, 0-based, in input order. Equal to the task id. */
  index: number;
  /** Absolute path of the input file. Batches never span files. */
  file: string;
  /** Byte offset of the batch's first record. */
  start: number;
  /** Byte offset just past the batch's last record (its line ending included). */
  end: number;
  /** Index of the batch's first record within the whole job, 0-based; null when not known at prepare (split by bytes). */
  firstRecord: number | null;
  /** Number of records in [start, end); null when not known at prepare (split by bytes). */
  records: number | null;
  /** CSV with a header: the header occupies bytes [0, headerEnd) of the file and is sent with every batch. */
  headerEnd?: number;
  /**
   * Parquet: the batch is row groups [first, first + count) of the file
   * (0-based, in file order); `start`/`end` are the bytes their column
   * chunks cover and `records` is the sum of their rows.
   */
  rowGroups?: { first: number; count: number };
  /**
   * The input file as prepare saw it. Workers compare it with the file they
   * open (and, for local files, again after reading), so an input changed
   * after prepare fails the attempt (INPUT_INVALID) instead of being read
   * half-old. Absent on batches prepared by older versions.
   */
  source?: FileStat;
  /**
   * format: files: the batch's files, in input order (their paths are its
   * records). `file` is then the first of them and [start, end) = [0, their
   * total size).
   */
  files?: FileRef[];
  /**
   * The file is compressed (gzip, zstd): the batch is the whole file
   * ([start, end) its compressed bytes), read by decompressing it from the
   * start; its record count is null until its task has run.
   */
  compression?: 'gzip' | 'zstd';
  /**
   * input.materialize: the batch's bytes were copied into the blob store at
   * prepare (partition/materialize.ts says what the copy holds); workers read
   * the copy, after checking its sha256 (hex), not the input.
   */
  materialized?: BlobCopy & { bytes: number };
  /**
   * N to N between pipeline stages (`each: batch`): the batch is the
   * committed output of this upstream task (inline in its record, or a
   * blob); workers download it into their scratch directory and read it
   * there. `file` is then a placeholder.
   */
  upstream?: { jobId: string; taskId: number };
  /**
   * sha256 (hex) of the batch's bytes as copyBytes reads them (the CSV
   * header included): computed at prepare for a pipeline stage run that may
   * re-use task outputs batch by batch (pipeline cache, task key).
   */
  sha256?: string;
}

/** A copy in the blob store and the sha256 (hex) of its bytes. */
export interface BlobCopy {
  key: string;
  sha256: string;
}

/** One file of a `format: files` batch, with its stat at prepare. */
export interface FileRef extends FileStat {
  path: string;
  /** input.materialize: the file's copy in the blob store. */
  copy?: BlobCopy;
}

/** Size, mtime and (S3) ETag of an input file: what tells that it changed. */
export interface FileStat {
  size: number;
  mtimeMs: number;
  /** S3: the ETag. Local files: absent. */
  version?: string;
}

export interface InputFileInfo {
  path: string;
  size: number;
  mtimeMs: number;
  /** Records in the file; null when not known (split by bytes, before every task has run). */
  records: number | null;
}

/**
 * Written to `jobs/<jobId>/manifest.json` in the blob store at prepare. For a
 * job split by bytes, record counts are null at prepare; finalize rewrites
 * the manifest with each batch's committed count (null for a batch whose task
 * did not succeed) and exact totals once every count is known.
 */
export interface Manifest {
  v: 1;
  jobId: string;
  createdAt: string;
  format: string;
  files: InputFileInfo[];
  batches: BatchDescriptor[];
  /** `records` is null while any batch's count is unknown. */
  totals: { records: number | null; bytes: number; batches: number };
}
