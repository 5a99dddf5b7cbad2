/**
 * The task row's batch, packed (migration 21): a batch of one input file
 * keeps its file's path and stat (`file`, `source`) once per job in the
 * `job_files` table, and its row holds the file's number (`n`) instead;
 * the row's `index` is its task id. At 1,000,000 one-record tasks that was
 * 146 of the row's 273 bytes. A row written before (whole batch JSON, no
 * `n`) is read as it is, so an upgraded home keeps its tasks.
 *
 * A batch of the splitter's common shape (exactly index, file, start, end,
 * firstRecord, records, source: a line format split by records) is packed
 * as an array `[start,end,firstRecord,records,n]` (migration 22): at
 * 1,000,000 one-record tasks its row is ~22 bytes shorter than the object,
 * cheaper to write and to parse at every claim. Any other batch keeps the
 * packed object, so a field added to BatchDescriptor is never dropped.
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
    // The splitter gives a file's batches one `source` object: its number is looked up once per object, not
    // stringified and keyed per batch (at 1,000,000 one-record tasks that and a rest-spread per row were ~2 µs each).
    const bySource = new Map<FileStat, { file: string; n: number }>();
    return batches.map((b) => {
      // Batches of many files (format: files) and upstream outputs keep their whole descriptor.
      if (b.source === undefined || b.files !== undefined || b.upstream !== undefined) return JSON.stringify(b);
      let known = bySource.get(b.source);
      if (known === undefined || known.file !== b.file) {
        const stat = JSON.stringify(b.source);
        const key = `${b.file}\0${stat}`;
        let n = numbers.get(key);
        if (n === undefined) {
          n = (this.find.get(jobId, b.file, stat) ?? this.add.get(jobId, jobId, b.file, stat)) as number;
          numbers.set(key, n);
        }
        known = { file: b.file, n };
        bySource.set(b.source, known);
      }
      return plainRow(b, known.n) ?? JSON.stringify(packed(b, known.n));
    });
  }

  /** The batch of a task row, whether packed or written whole (before migration 21). */
  unpack(jobId: string, taskId: number, json: string): BatchDescriptor {
    if (json.charCodeAt(0) === 0x5b /* [ */) {
      const [start, end, firstRecord, records, n] = JSON.parse(json) as PlainRow;
      const f = this.entry(jobId, n);
      return { index: taskId, file: f.file, start, end, firstRecord, records, source: f.source };
    }
    const b = JSON.parse(json) as BatchDescriptor | Packed;
    if (!('n' in b)) return b;
    const f = this.entry(jobId, b.n);
    // By key, not a rest spread (a claim unpacks every task it takes).
    const out: Record<string, unknown> = { index: taskId, file: f.file };
    for (const k in b) if (k !== 'n') out[k] = b[k as keyof Packed];
    out.source = f.source;
    return out as unknown as BatchDescriptor;
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

/** A batch of the common shape as its row: start, end, firstRecord, records, the file's number. */
type PlainRow = [number, number, number | null, number | null, number];

/** The keys of the splitter's common batch (a line format split by records, one local or S3 file). */
const PLAIN_KEYS = new Set(['index', 'file', 'start', 'end', 'firstRecord', 'records', 'source']);

const countOrNull = (v: unknown) => v === null || Number.isSafeInteger(v);

/** The array row of a batch of the common shape, or null for any other batch (packed as an object). */
function plainRow(b: BatchDescriptor, n: number): string | null {
  let keys = 0;
  for (const k in b) {
    if (!PLAIN_KEYS.has(k)) return null;
    keys += 1;
  }
  if (keys !== PLAIN_KEYS.size || !Number.isSafeInteger(b.start) || !Number.isSafeInteger(b.end)) return null;
  if (!countOrNull(b.firstRecord) || !countOrNull(b.records)) return null;
  return `[${b.start},${b.end},${b.firstRecord},${b.records},${n}]`;
}

/** The descriptor without index, file and source, and `n` last (a copy by key: faster than a rest spread). */
function packed(b: BatchDescriptor, n: number): Packed {
  const out: Record<string, unknown> = {};
  for (const k in b) if (k !== 'index' && k !== 'file' && k !== 'source') out[k] = b[k as keyof BatchDescriptor];
  out.n = n;
  return out as Packed;
}
