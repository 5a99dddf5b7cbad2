/** Blob keys, in one place so every package agrees on the layout. */
export const blobKeys = {
  manifest: (jobId: string) => `jobs/${jobId}/manifest.json`,
  // One directory per job, not per task: cheaper on a filesystem, the same on S3.
  output: (jobId: string, taskId: number, attempt: number) => `jobs/${jobId}/outputs/${pad(taskId)}.${attempt}`,
  log: (jobId: string, taskId: number, attempt: number) => `jobs/${jobId}/logs/${pad(taskId)}.${attempt}.log`,
  logPrefix: (jobId: string, taskId: number) => `jobs/${jobId}/logs/${pad(taskId)}.`,
  result: (jobId: string) => `jobs/${jobId}/result`,
  workerLog: (jobId: string, workerId: string) => `jobs/${jobId}/workers/${workerId.replace(/[^\w.-]/g, '_')}.log`,
};

function pad(n: number): string {
  return String(n).padStart(8, '0');
}
