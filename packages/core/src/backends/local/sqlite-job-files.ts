/**
 * The task row's batch, packed (migration 21): a batch of one input file
 * keeps its file's path and stat (`file`, `source`) once per job in the
 * `job_files` table, and its row holds the file's number (`n`) instead;
 * the row's `index` is its task id. At 1,000,000 one-record tasks that was
 * 146 of the row's 273 bytes. A row written before (whole batch JSON, no
 * `n`) is read as it is, so an upgraded home keeps its tasks.
 */
import type { Statement } from './sqlite-driver.js';
import type { BatchDescriptor, FileStat } from '../../model/batch.js';
import type { Db } from './db.js';

interface FileEntry {
  file: string;
  source: FileStat;
}

/** A packed row batch: the descriptor without index, file and source, and the file's number. */
type Packed = Omit<BatchDescriptor, 'index' | 'file' | 'source'> & { n: number };

/** Jobs whose file numbers a process keeps resolved; past this, the oldest is dropped (read again on use). */
const CACHED_JOBS = 64;

export class JobFiles {
  private readonly find: Statement;
  private readonly add: Statement;
  private readonly listJob: Statement;
  /** jobId → file number → entry; rows are never changed once written, so an entry never goes stale. */
  private readonly cache = new Map<string, Map<number, FileEntry>>();

  constructor(db: Db) {
    this.find = db.prepare('SELECT file_no FROM job_files WHERE job_id = ? AND path = ? AND source = ?').pluck();
    this.add = db.prepare(`INSERT INTO job_files (job_id, file_no, path, source)
      SELECT ?, coalesce(max(file_no) + 1, 0), ?, ? FROM job_files WHERE job_id = ? RETURNING file_no`).pluck();
    this.listJob = db.prepare('SELECT file_no, path, source FROM job_files WHERE job_id = ?');
  }

  /**
   * The row JSON of each batch, in order. Run inside the transaction that
   * inserts the rows, so a file's row commits with the first task that names it.
   */
  pack(jobId: string, batches: readonly BatchDescriptor[]): string[] {
    const numbers = new Map<string, number>();
    return batches.map((b) => {
      // Batches of many files (format: files) and upstream outputs keep their whole descriptor.
      if (b.source === undefined || b.files !== undefined || b.upstream !== undefined) return JSON.stringify(b);
      const { index: _index, file, source, ...rest } = b;
      const stat = JSON.stringify(source);
      const key = `${file}\0${stat}`;
      let n = numbers.get(key);
      if (n === undefined) {
        n = (this.find.get(jobId, file, stat) ?? this.add.get(jobId, file, stat, jobId)) as number;
        numbers.set(key, n);
      }
      return JSON.stringify({ ...rest, n } satisfies Packed);
    });
  }

  /** The batch of a task row, whether packed or written whole (before migration 21). */
  unpack(jobId: string, taskId: number, json: string): BatchDescriptor {
    const b = JSON.parse(json) as BatchDescriptor | Packed;
    if (!('n' in b)) return b;
    const { n, ...rest } = b;
    const f = this.entry(jobId, n);
    return { index: taskId, file: f.file, ...rest, source: f.source };
  }

  private entry(jobId: string, n: number): FileEntry {
    let files = this.cache.get(jobId);
    let f = files?.get(n);
    if (f !== undefined) return f;
    // A task row is committed with (or after) its file's row, so a miss means this process has not read it yet.
    files = new Map();
    for (const r of this.listJob.all(jobId) as { file_no: number; path: string; source: string }[]) {
      files.set(r.file_no, { file: r.path, source: JSON.parse(r.source) as FileStat });
    }
    this.cache.delete(jobId);
    if (this.cache.size >= CACHED_JOBS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(jobId, files);
    f = files.get(n);
    if (f === undefined) throw new Error(`task row of job ${jobId} names input file #${n}, which job_files does not hold`);
    return f;
  }
}
