/**
 * §1's paragraph on the local backend's cost per task: where a worker's
 * time went in SQLite, and what issue 14 changed (branch i14-store). The
 * figures were measured once, by hand, with the method the text names; they
 * are not re-measured by `pnpm bench`.
 */
export function renderSqliteCosts() {
  return [
    '### The SQLite work per task (local backend)',
    '',
    'Measured on 2026-12-03 on this machine while other engineers ran tests (load 10–90):',
    '`NODE_OPTIONS=--cpu-prof` on `djc run` of 20,000 no-op tasks on 2 workers (Node 24,',
    'node:sqlite), and a preload that counted every statement, transaction and busy',
    '`BEGIN IMMEDIATE` per process. Shares are of a worker main thread\'s non-idle samples.',
    '',
    '| per worker, 20,000 tasks on 2 workers | before | after |',
    '| --- | ---: | ---: |',
    '| store calls (claim, end, receive, ack, all SQLite work) | 52–56% | 34–35% |',
    '| of it `BEGIN IMMEDIATE` + `COMMIT` (native) | 28–32% | 12% |',
    '| of it waiting for the write lock (`sleepSync`) | 3–4% | 4–5% |',
    '| statements per task | 9.2–9.3 | 3.8 |',
    '| transactions per task | 0.40–0.45 | 0.41–0.42 |',
    '| commits of 5 ms or more (a WAL checkpoint inside them) | 105–135 | 22–38 |',
    '| coordinator write transactions per run | 88–231 | 40–43 |',
    '',
    'Before, a task cost a claim SELECT and UPDATE, an end SELECT and UPDATE, two',
    'counter UPDATEs of the job row, an UPDATE when received and a DELETE when acknowledged;',
    'about 90% of the COMMIT time went to the ~110 commits per worker that ran a WAL',
    'checkpoint (SQLite\'s default: every 1,000 pages); the coordinator took the write',
    'lock on every tick to reclaim nothing. Now a claim is one `UPDATE … WHERE` holding',
    'every claim rule (the row is read only to explain a refusal), the usual end is one',
    'UPDATE with its lease check in the WHERE, a batch writes the job\'s counters once,',
    'a receive marks its messages in one UPDATE and an ack batch is one DELETE, the WAL',
    'is checkpointed every 10,000 pages, and the tick reads before it writes. Busy retries',
    'build their errors without a stack (SQLite\'s own busy_timeout instead of the retry loop:',
    'a two-process run at load 56–66 could not tell them apart; the loop stays).',
    'Transactions per task did not change: receive,',
    'claim, end and ack are one each per ~10 tasks, the worker\'s batches.',
    '',
    'CPU (user + sys of the whole `djc run`) in interleaved runs, before / after, medians',
    '(each run: user+sys): at load 12–14, 3 pairs: 13.62 s (11.73+2.27, 9.51+2.16,',
    '11.53+2.09) / 11.05 s (9.10+1.95, 8.74+1.88, 9.40+1.98), **0.68 → 0.55 ms per task**;',
    'wall 16.04 s (21.31, 10.21, 16.04) / 9.55 s (9.55, 9.33, 14.05). At load 71–89,',
    '3 pairs: 15.58 s / 13.61 s CPU (0.78 → 0.68 ms per task), wall 42.95 s / 35.66 s.',
    'The statements alone (before the checkpoint change), load 41–44: 14.11 s / 13.08 s.',
    '4 workers on 8,000 tasks (load 12, 2 pairs): CPU 8.56, 8.51 s / 8.09, 7.89 s; wall 11.78, 12.98 s / 11.09, 13.30 s.',
    '',
  ];
}
