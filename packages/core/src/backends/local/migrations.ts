/**
 * The schema of the local backend's SQLite file, as numbered migrations.
 * `openDatabase` applies the ones newer than `schema_version` in one
 * IMMEDIATE transaction, so processes that open the file at the same time
 * agree on the result. Never edit a released migration: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: jobs, tasks, coordinator lock, task queue.
  `
  CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    backend TEXT NOT NULL,
    config TEXT NOT NULL,
    config_path TEXT NOT NULL,
    mode TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    error TEXT,
    output_path TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    tasks_total INTEGER NOT NULL DEFAULT 0,
    tasks_pending INTEGER NOT NULL DEFAULT 0,
    tasks_running INTEGER NOT NULL DEFAULT 0,
    tasks_retrying INTEGER NOT NULL DEFAULT 0,
    tasks_succeeded INTEGER NOT NULL DEFAULT 0,
    tasks_failed INTEGER NOT NULL DEFAULT 0,
    tasks_cancelled INTEGER NOT NULL DEFAULT 0,
    records_total INTEGER NOT NULL DEFAULT 0,
    records_processed INTEGER NOT NULL DEFAULT 0,
    records_bad INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX jobs_by_created ON jobs (created_at DESC, job_id DESC);
  CREATE INDEX jobs_by_status ON jobs (status, created_at DESC, job_id DESC);

  CREATE TABLE tasks (
    job_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    attempt_floor INTEGER NOT NULL DEFAULT 0,
    batch TEXT NOT NULL,
    lease_owner TEXT,
    lease_expires_at INTEGER,
    not_before INTEGER,
    worker TEXT,
    error TEXT,
    failure_kind TEXT,
    exit_code INTEGER,
    output_key TEXT,
    output_kind TEXT,
    started_at TEXT,
    ended_at TEXT,
    PRIMARY KEY (job_id, task_id)
  ) WITHOUT ROWID;
  -- Only RUNNING tasks are indexed by status (reclaim looks for them); other
  -- status filters scan the job's tasks in task order. Fewer index pages
  -- change per claim and complete, which keeps commits small.
  CREATE INDEX tasks_running ON tasks (job_id, task_id) WHERE status = 'RUNNING';

  CREATE TABLE coordinator_lock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    owner TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );

  CREATE TABLE queue (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    visible_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    dead INTEGER NOT NULL DEFAULT 0,
    dead_reason TEXT
  );
  CREATE INDEX queue_ready ON queue (visible_at, id) WHERE dead = 0;
  CREATE INDEX queue_job_ready ON queue (job_id, visible_at, id) WHERE dead = 0;
  CREATE INDEX queue_dead ON queue (job_id) WHERE dead = 1;
  `,
  // 2: which process coordinates a job, and when it last said so.
  `
  ALTER TABLE jobs ADD COLUMN coordinator_owner TEXT;
  ALTER TABLE jobs ADD COLUMN coordinator_seen_at INTEGER;
  `,
  // 3: backend requests made on behalf of each job, by "Service.Operation".
  `
  CREATE TABLE job_requests (
    job_id TEXT NOT NULL,
    op TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (job_id, op)
  ) WITHOUT ROWID;
  `,
  // 4: the job's workers as its dispatcher last reported them (JSON).
  `
  ALTER TABLE jobs ADD COLUMN workers_json TEXT;
  `,
  // 5: the records a task's winning attempt committed (batches split by bytes are counted only then).
  `
  ALTER TABLE tasks ADD COLUMN records INTEGER;
  `,
  // 6: bad records a task's winning attempt left out (input.on_bad_record skip or dead_letter).
  `
  ALTER TABLE tasks ADD COLUMN bad INTEGER;
  `,
  // 7: a small output kept in the task row instead of a blob (TaskRecord.inlineOutput).
  `
  ALTER TABLE tasks ADD COLUMN output_inline BLOB;
  `,
  // 8: the retry history (`djc retry`: when, which tasks, which settings changed), JSON.
  `
  ALTER TABLE jobs ADD COLUMN retries_json TEXT;
  `,
  // 9: CLAIMED tasks (taken ahead by a worker, not started): their counter,
  // the claim time, and an index over every leased task (reclaim looks for
  // RUNNING and CLAIMED ones) instead of the RUNNING-only one.
  `
  ALTER TABLE jobs ADD COLUMN tasks_claimed INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE tasks ADD COLUMN claimed_at TEXT;
  DROP INDEX tasks_running;
  CREATE INDEX tasks_leased ON tasks (job_id, task_id) WHERE status IN ('RUNNING', 'CLAIMED');
  `,
  // 10: pipelines (issue 10): the kind of a job, a stage run's pipeline and
  // stage, a pipeline's graph, and why a job waits or was skipped. Stage
  // runs are listed by their pipeline; top-level lists skip them.
  `
  ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'job';
  ALTER TABLE jobs ADD COLUMN parent_id TEXT;
  ALTER TABLE jobs ADD COLUMN stage_json TEXT;
  ALTER TABLE jobs ADD COLUMN pipeline_json TEXT;
  ALTER TABLE jobs ADD COLUMN reason TEXT;
  CREATE INDEX jobs_by_parent ON jobs (parent_id) WHERE parent_id IS NOT NULL;
  CREATE INDEX jobs_top_by_created ON jobs (created_at DESC, job_id DESC) WHERE parent_id IS NULL;
  `,
  // 11: the dependencies of a `djc submit --after` job (JSON).
  `
  ALTER TABLE jobs ADD COLUMN after_json TEXT;
  `,
  // 12: the pipeline cache index (ports/cache-index.ts): stage runs by cache key,
  // the newest per (pipeline, stage) through an index, and re-usable task
  // outputs by (task key, batch content sha256).
  `
  CREATE TABLE cache_entries (
    cache_key TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    stage TEXT NOT NULL,
    point TEXT,
    components TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX cache_entries_by_stage ON cache_entries (pipeline, stage, created_at DESC);

  CREATE TABLE task_cache (
    task_key TEXT NOT NULL,
    batch_sha256 TEXT NOT NULL,
    job_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    output_key TEXT,
    output_inline BLOB,
    output_kind TEXT,
    records INTEGER,
    bad INTEGER,
    created_at TEXT NOT NULL,
    PRIMARY KEY (task_key, batch_sha256)
  ) WITHOUT ROWID;
  `,
  // 13: per-batch re-use: the earlier task whose output a task took (JSON { jobId, taskId }).
  `
  ALTER TABLE tasks ADD COLUMN reused_from TEXT;
  `,
  // 14: the scheduler: who submitted the job (fair share, quotas) and when it last entered the queue.
  `
  ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
  ALTER TABLE jobs ADD COLUMN queued_at TEXT;
  `,
  // 15: handler.rate_limit: each rate-limited job's next free start slot
  // (GCRA "theoretical arrival time", epoch ms), see sqlite-rate-slots.ts.
  `
  CREATE TABLE rate_slots (
    job_id TEXT PRIMARY KEY,
    tat INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 16: API tokens (ports/token-store.ts): only the sha256 of each token is
  // kept; a live (unrevoked) token's name is unique, revoking frees it.
  `
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    token_expires_at TEXT,
    last_used_at TEXT,
    revoked_at TEXT
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;
  `,
  // 17: what the latest ended attempt used (JSON AttemptUsage: CPU ms, peak memory bytes, scope).
  `
  ALTER TABLE tasks ADD COLUMN usage_json TEXT;
  `,
  // i13-standby
  // 18: the coordinator lock's epoch (its term): incremented on every takeover, kept on renewal.
  `
  ALTER TABLE coordinator_lock ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
  `,
  // i13-speculate
  // 19: a speculative copy of a straggler runs beside its attempt.
  // The lease holder's attempt number is lease_attempt when a copy took the
  // next number (attempts); the copy holds copy_owner / copy_attempt.
  `
  ALTER TABLE tasks ADD COLUMN lease_attempt INTEGER;
  ALTER TABLE tasks ADD COLUMN copy_owner TEXT;
  ALTER TABLE tasks ADD COLUMN copy_attempt INTEGER;
  ALTER TABLE tasks ADD COLUMN copy_expires_at INTEGER;
  ALTER TABLE tasks ADD COLUMN speculation TEXT;
  ALTER TABLE jobs ADD COLUMN speculation_json TEXT;
  `,
  // i13-fence: 20: per-job coordination fencing (the epoch claimJob moves) and
  // the state a coordinator carries over to the next one (JSON CoordinationState).
  `
  ALTER TABLE jobs ADD COLUMN coordinator_epoch INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE jobs ADD COLUMN coordination_json TEXT;
  `,
  // 21: a job's input files, once each (sqlite-job-files.ts): a task row's
  // batch names its file by number instead of repeating its path and stat.
  // Rows written before keep their whole batch and are read as they are.
  `
  CREATE TABLE job_files (
    job_id TEXT NOT NULL,
    file_no INTEGER NOT NULL,
    path TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (job_id, file_no)
  ) WITHOUT ROWID;
  CREATE INDEX job_files_by_path ON job_files (job_id, path);
  `,
  // 22: a task row's batch of the common shape is an array [start, end,
  // firstRecord, records, file number] (sqlite-job-files.ts); no table
  // changes, but a djc before this one would misread such a row, so it must
  // refuse the home (a newer schema_version) instead.
  `
  SELECT 1;
  `,
  // 23: a plain task message lives in its task row (task-row-messages.ts):
  // when it is visible (NULL: none), its live delivery's tag, its receive
  // count, and one index of the live ones. The queue table keeps copies'
  // messages, messages for tasks with no row, and dead letters. A home
  // upgraded while a job runs keeps every message: each task's live plain
  // messages become its row's one message, at the earliest visible time, as
  // a new delivery (an old receipt is stale: its delete changes nothing).
  `
  ALTER TABLE tasks ADD COLUMN q_at INTEGER;
  ALTER TABLE tasks ADD COLUMN q_receipt TEXT;
  ALTER TABLE tasks ADD COLUMN q_count INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX tasks_messages ON tasks (job_id, q_at, task_id) WHERE q_at IS NOT NULL;
  UPDATE tasks SET q_at = m.at, q_count = m.n
    FROM (SELECT job_id, task_id, min(visible_at) AS at, max(receive_count) AS n FROM queue
      WHERE dead = 0 AND json_extract(body, '$.copyOf') IS NULL GROUP BY job_id, task_id) AS m
    WHERE tasks.job_id = m.job_id AND tasks.task_id = m.task_id;
  DELETE FROM queue WHERE dead = 0 AND json_extract(body, '$.copyOf') IS NULL
    AND EXISTS (SELECT 1 FROM tasks t WHERE t.job_id = queue.job_id AND t.task_id = queue.task_id);
  `,
];
