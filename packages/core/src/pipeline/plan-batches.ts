/**
 * How many batches a stage run will have, for `djc plan`: a dry partition
 * of its input files (the partitioner prepare uses, counting batches and
 * keeping none), or what it depends on when the input comes from upstream.
 */
import type { JobConfig } from '../config/schema.js';
import { expandInputFiles } from '../partition/expand-paths.js';
import { partitionOptions } from '../partition/options.js';
import { partitionInput } from '../partition/partition-input.js';
import { canonicalJson } from './cache-hash.js';
import type { StageRunSpec } from './types.js';

export type BatchCount =
  /** Counted by a dry partition of the input files. */
  | { kind: 'counted'; batches: number; files: number; bytes: number }
  /** `from:` an upstream's whole output, split again when the upstream has run. */
  | { kind: 'from-upstream'; upstreams: string[] }
  /** `each: batch`: one task per task of the upstream (its count when known). */
  | { kind: 'per-upstream-task'; upstream: string; batches: number | null }
  /** The input could not be partitioned; the run would fail the same way. */
  | { kind: 'error'; message: string };

/** Counts of runs that read the same files the same way are shared (a sweep's points mostly do). */
export class BatchCounter {
  private readonly memo = new Map<string, Promise<BatchCount>>();

  count(run: Pick<StageRunSpec, 'config' | 'upstream'>, upstreamBatches: (stage: string) => number | null): Promise<BatchCount> {
    if (run.upstream !== null) {
      const [first] = run.upstream.from;
      if (run.upstream.each === 'batch' && first !== undefined) {
        return Promise.resolve({ kind: 'per-upstream-task', upstream: first, batches: upstreamBatches(first) });
      }
      return Promise.resolve({ kind: 'from-upstream', upstreams: [...run.upstream.from] });
    }
    const memoKey = canonicalJson({ path: run.config.input.path, opts: partitionOptions(run.config) });
    let counted = this.memo.get(memoKey);
    if (counted === undefined) {
      counted = countFileBatches(run.config);
      this.memo.set(memoKey, counted);
    }
    return counted;
  }
}

async function countFileBatches(config: JobConfig): Promise<BatchCount> {
  const { path, format } = config.input;
  try {
    const files = await expandInputFiles(Array.isArray(path) ? path : [path], { directories: format === 'files' });
    let batches = 0;
    let bytes = 0;
    for await (const ev of partitionInput(files, { ...partitionOptions(config), groupBatches: true })) {
      if (ev.type === 'batch') batches += 1;
      else if (ev.type === 'batches') batches += ev.batches.length;
      else bytes += ev.file.size;
    }
    return { kind: 'counted', batches, files: files.length, bytes };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}
