/**
 * A batch is a descriptor, not a copy: a byte range of one input file that
 * holds a known number of whole records. One task runs one batch.
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
  /** Index of the batch's first record within the whole job, 0-based. */
  firstRecord: number;
  /** Number of records in [start, end). */
  records: number;
  /** CSV with a header: the header occupies bytes [0, headerEnd) of the file and is sent with every batch. */
  headerEnd?: number;
}

export interface InputFileInfo {
  path: string;
  size: number;
  mtimeMs: number;
  records: number;
}

/** Written once per job to `jobs/<jobId>/manifest.json` in the blob store. */
export interface Manifest {
  v: 1;
  jobId: string;
  createdAt: string;
  format: string;
  files: InputFileInfo[];
  batches: BatchDescriptor[];
  totals: { records: number; bytes: number; batches: number };
}
