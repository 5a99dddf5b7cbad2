/**
 * N to N between pipeline stages: a batch that is an upstream task's
 * committed output (BatchDescriptor.upstream) is written into the attempt's
 * scratch directory, from the task record (a small inline output) or its
 * blob, and read from there like any file.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DjcError, type Backend, type BatchDescriptor } from '@djc/core/worker';

export async function localizeUpstream(backend: Backend, batch: BatchDescriptor, dir: string): Promise<BatchDescriptor> {
  const up = batch.upstream;
  if (!up) return batch;
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'upstream-output');
  const task = await backend.state.getTask(up.jobId, up.taskId);
  if (!task || task.status !== 'SUCCEEDED') {
    throw new DjcError('INPUT_INVALID', `batch ${batch.index}: upstream task ${up.taskId} of ${up.jobId} is ${task?.status ?? 'gone'}, not SUCCEEDED`);
  }
  if (task.inlineOutput !== null) await writeFile(path, task.inlineOutput);
  else if (task.outputKey !== null) {
    const body = await backend.blobs.getStream(task.outputKey);
    if (!body) throw new DjcError('INPUT_INVALID', `batch ${batch.index}: the output of upstream task ${up.taskId} of ${up.jobId} is missing from the blob store (${task.outputKey})`);
    await pipeline(body, createWriteStream(path));
  } else await writeFile(path, '');
  const { upstream: _up, ...rest } = batch;
  return { ...rest, file: path, start: 0, end: (await stat(path)).size };
}
