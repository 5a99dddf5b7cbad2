/** Blob keys, in one place so every package agrees on the layout. */
export const blobKeys = {
  manifest: (jobId: string) => `jobs/${jobId}/manifest.json`,
  // One directory per job, not per task: cheaper on a filesystem, the same on S3.
  output: (jobId: string, taskId: number, attempt: number) => `jobs/${jobId}/outputs/${pad(taskId)}.${attempt}`,
  log: (jobId: string, taskId: number, attempt: number) => `jobs/${jobId}/logs/${pad(taskId)}.${attempt}.log`,
  logPrefix: (jobId: string, taskId: number) => `jobs/${jobId}/logs/${pad(taskId)}.`,
  /** An attempt's bad records (on_bad_record: dead_letter), one JSON line each. */
  deadLetters: (jobId: string, taskId: number, attempt: number) => `jobs/${jobId}/bad-records/${pad(taskId)}.${attempt}.jsonl`,
  /** A batch's copy (input.materialize). */
  batchCopy: (jobId: string, index: number) => `jobs/${jobId}/batches/${pad(index)}.bin`,
  /** The copy of file `i` of a files batch (input.materialize). */
  fileCopy: (jobId: string, index: number, i: number) => `jobs/${jobId}/batches/${pad(index)}/${i}`,
  /** The job's bad records, gathered from its tasks' winning attempts in batch order at finalize. */
  jobDeadLetters: (jobId: string) => `jobs/${jobId}/bad-records.jsonl`,
  result: (jobId: string) => `jobs/${jobId}/result`,
  workerLog: (jobId: string, workerId: string) => `jobs/${jobId}/workers/${workerId.replace(/[^\w.-]/g, '_')}.log`,
};

function pad(n: number): string {
  return String(n).padStart(8, '0');
}
