/**
 * One error type for the whole product. `code` is a stable string that the
 * CLI maps to a documented exit code; `hint` tells the user what to do.
 */
export type DjcErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'LEASE_LOST'
  | 'ILLEGAL_TRANSITION'
  | 'BACKEND_UNAVAILABLE'
  | 'INPUT_INVALID'
  | 'HANDLER_FAILED'
  | 'JOB_FAILED'
  | 'INTERRUPTED'
  /** The API refused the token (remote CLI: DJC_TOKEN missing, invalid, or of too small a scope). */
  | 'AUTH_FORBIDDEN'
  /** A coordinator's claim on a job was superseded by another coordinator's (FencedError). */
  | 'FENCED'
  /** A write found no space left: the disk holding DJC_HOME (SQLITE_FULL, ENOSPC, EDQUOT, EFBIG). Exit 3. */
  | 'DISK_FULL'
  | 'INTERNAL';

export interface DjcErrorFields {
  cause?: unknown;
  hint?: string;
  jobId?: string;
  taskId?: number;
  /** Extra structured detail (e.g. every config issue). */
  details?: unknown;
}

export class DjcError extends Error {
  readonly code: DjcErrorCode;
  readonly hint: string | undefined;
  readonly jobId: string | undefined;
  readonly taskId: number | undefined;
  readonly details: unknown;

  constructor(code: DjcErrorCode, message: string, fields: DjcErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'DjcError';
    this.code = code;
    this.hint = fields.hint;
    this.jobId = fields.jobId;
    this.taskId = fields.taskId;
    this.details = fields.details;
  }
}

/** Raised by a conditional update that lost its race. Callers catch this one. */
export class ConflictError extends DjcError {
  constructor(message: string, fields: DjcErrorFields = {}) {
    super('CONFLICT', message, fields);
    this.name = 'ConflictError';
  }
}

/**
 * A coordinator write made under a job claim (`fence`: the job's
 * coordinator epoch the claim got) found another epoch: another coordinator
 * claimed the job since. Nothing was written. The coordinator that gets it
 * stops coordinating that job at once, quietly, leaving its workers alone.
 */
export class FencedError extends DjcError {
  readonly fence: number;
  readonly epoch: number | null;

  constructor(jobId: string, fence: number, epoch: number | null) {
    super('FENCED', `job ${jobId} is coordinated by another coordinator now (epoch ${epoch ?? '?'}, this one claimed ${fence})`, { jobId, details: { fence, epoch } });
    this.name = 'FencedError';
    this.fence = fence;
    this.epoch = epoch;
  }
}

export function isDjcError(e: unknown, code?: DjcErrorCode): e is DjcError {
  return e instanceof DjcError && (code === undefined || e.code === code);
}

/** Exit codes of every command. Never renumber: scripts depend on them. */
export const EXIT = {
  OK: 0,
  JOB_FAILED: 1,
  USAGE: 2,
  BACKEND: 3,
  NOT_FOUND: 4,
  INTERNAL: 70,
  /** `djc wait --timeout` ran out before the job ended (as GNU timeout). */
  TIMED_OUT: 124,
  INTERRUPTED: 130,
} as const;

export function exitCodeFor(e: unknown): number {
  if (!(e instanceof DjcError)) return isDiskFull(e) ? EXIT.BACKEND : EXIT.INTERNAL;
  switch (e.code) {
    case 'CONFIG_INVALID':
    case 'USAGE':
    case 'INPUT_INVALID':
    case 'AUTH_FORBIDDEN':
      return EXIT.USAGE;
    case 'NOT_FOUND':
      return EXIT.NOT_FOUND;
    case 'BACKEND_UNAVAILABLE':
    case 'DISK_FULL':
      return EXIT.BACKEND;
    case 'JOB_FAILED':
      return EXIT.JOB_FAILED;
    case 'INTERRUPTED':
      return EXIT.INTERRUPTED;
    default:
      return EXIT.INTERNAL;
  }
}

/** errno codes of a write that found no space: the disk is full, the quota is spent, or a file-size limit (RLIMIT_FSIZE) is hit. */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/**
 * True when `e` (or its cause) says a write found no space: a DISK_FULL
 * DjcError, a file-system error (ENOSPC, EDQUOT, EFBIG), or SQLite's
 * SQLITE_FULL from either driver.
 */
export function isDiskFull(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    if (cur instanceof DjcError && cur.code === 'DISK_FULL') return true;
    const err = cur as { code?: unknown; errcode?: unknown };
    if (typeof err.code === 'string' && (NO_SPACE.has(err.code) || err.code.startsWith('SQLITE_FULL'))) return true;
    if (typeof err.errcode === 'number' && (err.errcode & 0xff) === 13) return true; // node:sqlite: SQLITE_FULL
  }
  return false;
}

/** `e` as a DISK_FULL DjcError (`what` says which write), or `e` itself when it is not about space. */
export function asDiskFull(e: unknown, what: string): unknown {
  if (!isDiskFull(e) || (e instanceof DjcError && e.code === 'DISK_FULL')) return e;
  return new DjcError('DISK_FULL', `no space left on the disk ${what}`, {
    cause: e, hint: 'free space on that disk (df -h shows it), then carry on',
  });
}
