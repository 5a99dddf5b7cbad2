/**
 * §1's paragraph on the per-call cost of the worker's claim and end on the
 * local backend after issue 14 round 3 (branch i14-percall): positional
 * binds and rows as arrays. Measured once, by hand, with the method the
 * text names; not re-measured by `pnpm bench`.
 */
export function renderPerCall() {
  return [
    '### Per call: positional binds, rows as arrays (round 3, local backend)',
    '',
    'After the joint transactions, a profile of the SQLite path alone (one process doing a',
    'worker\'s calls at concurrency 1: `receiveAndClaim` of 25, then `completeAndAck`, with',
    'no handler) put half its time in the claim\'s and the end\'s `UPDATE … RETURNING *`.',
    'Statement by statement (node:sqlite, the claim of 10,000 tasks in groups of 25), CPU per',
    'claim: named parameters and `RETURNING *` as an object 41–48 µs; bound by position',
    '37–41; by position with the row as an array 23–30; returning only the 9 columns the',
    'claim does not set, as an array, 15–16; the UPDATE with no RETURNING at all, 13–22.',
    'node:sqlite looks every named parameter up by name on each call and builds a 28-key',
    'object per returned row, which `toTaskRecord` then reads.',
    '',
    'Now the claim and the usual end (the two statements run once per task) bind by position',
    '(`positional-params.ts`: the SQL keeps its `@names`) and return only the columns they',
    'do not write, as an array (`Statement.raw()`: node:sqlite `setReturnArrays`,',
    'better-sqlite3 `raw`); `lease-rows.ts` builds the same row from what the write set, so',
    'the records returned are unchanged (the contract suites compare them with `getTask`).',
    '',
    'Measured on 2026-12-03 on the shared VM (load 9–37, other engineers\' tests running):',
    '',
    '| | before | after |',
    '| --- | ---: | ---: |',
    '| SQLite path alone, one process, 10,000 tasks: CPU per task (3 interleaved pairs, load 34–37) | 145, 158, 152 µs | 79, 94, 119 µs |',
    '| worker main threads, 10,000 no-op tasks, 2 workers, c1: CPU per task, 5 pairs (median) | 0.457, 0.455, 0.472, 0.465, 0.493 ms (**0.465**) | 0.390, 0.372, 0.463, 0.412, 0.465 ms (**0.412**) |',
    '| same, c10, 5 pairs (median) | 0.491, 0.417, 0.665, 0.529, 0.619 ms (**0.529**) | 0.468, 0.390, 0.800, 0.467, 0.450 ms (**0.467**) |',
    '| at load 9–13, 2 pairs: c1 main threads (whole worker processes) | 0.470, 0.476 ms (0.805, 0.821) | 0.411, 0.372 ms (0.742, 0.693) |',
    '| same, c10 | 0.517, 0.553 ms (1.040, 1.099) | 0.418, 0.410 ms (0.821, 0.867) |',
    '',
    'The worker figures are the main threads\' own CPU (`process.threadCpuUsage()` at exit,',
    'through a `NODE_OPTIONS=--import` preload; start-up included), summed over both',
    'workers, per task ("whole": the worker processes\' user + sys, handler thread and GC',
    'included); interleaved runs of `djc run` (before, after; c1 then c10).',
    'The 0.800 ms run (c10, after) took 196 s of wall time: the occasional slow c10 run',
    'the joint-claims section describes (one before-run took 117 s at load 38 the same',
    'hour); not diagnosed. A worker main-thread profile (c1, after, `--cpu-prof`): the store',
    'calls are ~26% of its busy samples (the native `BEGIN IMMEDIATE`/`COMMIT` ~5%), the',
    '`postMessage` hand-off to the handler thread ~18%; the rest is the per-attempt JS of',
    'the worker loop, spread thin. What is left of the SQLite path is mostly SQLite\'s own',
    'UPDATEs (a claim and an end per task, ~13–20 µs each) and one transaction per ~25 tasks.',
    '`node scripts/bench/slow-tasks.mjs` (200 sleeps, 4 workers, 2 runs each, load 16–18):',
    'djc 25.51, 23.75 s after / 27.80, 22.00 s before (task spans 21.53, 18.31 / 21.56,',
    '17.50 s; parallel 19.4–24.1 s, xargs 15.2–15.4 s): unchanged, slow tasks are not held.',
    '',
  ];
}
