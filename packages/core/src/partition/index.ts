/**
 * Partitioning: splitting input files into batches of whole records, and
 * reading a batch back. See DESIGN.md, "Partitioning".
 */
export type { InputFormat, CsvOptions, ReadOptions, PartitionOptions, PartitionEvent } from './types.js';
export { expandInputPaths } from './expand-paths.js';
export { partitionInput } from './partition-input.js';
export { readBatchRecords } from './read-batch.js';
export { openBatchStream } from './batch-stream.js';
export { BatchRecordCounter, countBatchRecords } from './record-count.js';
export { setS3ClientFactory } from './s3-client.js';
export { isS3Url } from './input-source.js';
