/**
 * The task row's batch, packed (migration 21): a batch of one input file
 * keeps its file's path and stat (`file`, `source`) once per job in the
 * `job_files` table, and its row holds the file's number (`n`) instead;
 * the row's `index` is its task id. At 1,000,000 one-record tasks that was
 * 146 of the row's 273 bytes. A row written before (whole batch JSON, no
 * `n`) is read as it is, so an upgraded home keeps its tasks.
 */
import type { Statement } from './sqlite-driver.js';
import { DjcError } from '../../errors.js';
import type { BatchDescriptor, FileStat } from '../../model/batch.js';
import type { Db } from './db.js';

interface FileEntry {
  file: string;
  source: FileStat;
}

/** A packed row batch: the descriptor without index, file and source, and the file's number. */
type Packed = Omit<BatchDescriptor, 'index' | 'file' | 'source'> & { n: number };

/** Files a process keeps resolved (most recently read first out when full): a job over a directory can have many. */
const CACHED_FILES = 4096;

export class JobFiles {
  private readonly find: Statement;
  private readonly add: Statement;
  private readonly getOne: Statement;
  /** `jobId\0n` → entry; a job_files row is never changed once written, so an entry never goes stale. */
  private readonly cache = new Map<string, FileEntry>();

  constructor(db: Db) {
    this.find = db.prepare('SELECT file_no FROM job_files WHERE job_id = ? AND path = ? AND source = ?').pluck();
    // The next number is one past the job's last (an index seek: a job over a directory can have many files).
    this.add = db.prepare(`INSERT INTO job_files (job_id, file_no, path, source)
      VALUES (?, coalesce((SELECT file_no FROM job_files WHERE job_id = ? ORDER BY file_no DESC LIMIT 1) + 1, 0), ?, ?)
      RETURNING file_no`).pluck();
    this.getOne = db.prepare('SELECT path, source FROM job_files WHERE job_id = ? AND file_no = ?');
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
        n = (this.find.get(jobId, file, stat) ?? this.add.get(jobId, jobId, file, stat)) as number;
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
    const key = `${jobId}\0${n}`;
    let f = this.cache.get(key);
    if (f !== undefined) return f;
    // A task row is committed with (or after) its file's row, so a miss means this process has not read it yet.
    const row = this.getOne.get(jobId, n) as { path: string; source: string } | undefined;
    if (row === undefined) throw new DjcError('INTERNAL', `a task row of job ${jobId} names input file #${n}, which job_files does not hold`, { jobId });
    f = { file: row.path, source: JSON.parse(row.source) as FileStat };
    if (this.cache.size >= CACHED_FILES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, f);
    return f;
  }
}
