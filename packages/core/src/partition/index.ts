/**
 * Partitioning: splitting input files into batches of whole records, and
 * reading a batch back. See DESIGN.md, "Partitioning".
 */
export type { InputFormat, CsvOptions, ReadOptions, PartitionOptions, PartitionEvent } from './types.js';
export { expandInputFiles, expandInputPaths, type ListedFile } from './expand-paths.js';
export { partitionInput } from './partition-input.js';
export { partitionOptions, readOptions } from './options.js';
export { batchOfCopy, copyBytes } from './materialize.js';
export { readBatchRecords } from './read-batch.js';
export { readSmallBatchBlocking, smallBatchBytes } from './read-batch-blocking.js';
export { batchBytes, openBatchStream, SMALL_BATCH_BYTES, tallyBatch, type BatchReadHow, type BatchTally } from './batch-stream.js';
export { deadLetterRecords, type BadRecordPolicy, type BadRecordSink, type DeadLetter } from './bad-record.js';
export { setS3ClientFactory } from './s3-client.js';
export { isS3Url } from './input-source.js';
export { useBlockingLocalReads } from './blocking-local-source.js';
