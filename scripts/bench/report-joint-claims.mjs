/**
 * §1's paragraph on the worker's receive/claim/end/ack writes after issue
 * 14 round 2 (branch i14-claims): joint transactions on the local backend
 * and larger groups of short tasks. Measured once, by hand, with the method
 * the text names; not re-measured by `pnpm bench`.
 */
export function renderJointClaims() {
  return [
    '### Joint claims: fewer, larger transactions per task (local backend)',
    '',
    'A worker of one job on the local backend now receives and claims a group of tasks in',
    'ONE transaction, which also deletes the messages of the tasks finished since',
    '(`Backend.joint.receiveAndClaim`), and a group of ends carries the deletes still waiting',
    '(`completeAndAck`); each part is the statement of its separate call, so every claim and',
    'end is checked as before. A receive takes up to 25 short tasks (`TaskQueue.maxReceive`:',
    'SQS stays at 10) within the same hold budget (250 ms of measured work), so slow tasks are',
    'never held; a rate-limited job still takes at most 10. The AWS backend keeps its separate calls.',
    '',
    'Measured on 2026-12-03 on the shared VM while other engineers ran tests (load 21–25),',
    '20,000 no-op tasks on 2 workers, `djc run` end to end, before / after in interleaved',
    'runs (before, after; c1 then c10; three rounds). CPU is user + sys of `djc run` and its',
    'workers (GNU time), per task. Transactions and statements were counted by a preload that',
    'wrapped node:sqlite\'s `StatementSync` (one more run each, same load).',
    '',
    '| 20,000 tasks, 2 workers | before | after |',
    '| --- | ---: | ---: |',
    '| c1: wall, each run (median) | 15.49, 19.57, 11.13 s (**15.49**) | 12.65, 19.51, 13.59 s (**13.59**) |',
    '| c1: CPU per task, each run (median) | 0.517, 0.651, 0.510 ms (**0.517**) | 0.529, 0.663, 0.525 ms (**0.529**) |',
    '| c10: wall, each run (median) | 17.34, 24.25, 19.70 s (**19.70**) | 18.52, 12.14, 15.38 s (**15.38**) |',
    '| c10: CPU per task, each run (median) | 0.640, 0.793, 0.705 ms (**0.705**) | 0.573, 0.601, 0.611 ms (**0.601**) |',
    '| c1: worker transactions per task | 0.40 | 0.13 |',
    '| c10: worker transactions per task | 0.34 | 0.11 |',
    '| worker statements per task (c1 / c10) | 3.1 / 3.3 | 2.5 / 2.5 |',
    '',
    'Worker main-thread profile (`--cpu-prof`, 5,000 tasks, c1, load ~25): store calls',
    '41–42% → 33–38% of its busy samples; the `postMessage` hand-off to the handler thread is',
    'unchanged at 15–17% (and ~15% of the handler thread). At concurrency 1 the CPU did not',
    'move beyond the noise (a likely reason, not established: much of what a transaction',
    'saved was waiting for the other worker\'s write lock, a sleep rather than CPU; the',
    'remaining writes are larger and start as cold); at concurrency 10 it fell 15% and',
    'c10 now costs about as much as c1 (0.60 vs 0.53 ms per task), but does not yet help.',
    '`pnpm bench slow-tasks` (100 sleeps, 4 workers, load 31–36, two interleaved rounds):',
    'djc 14.50, 14.15 s before / 13.32, 12.53 s after (task spans 9.96, 9.46 / 9.76, 9.43 s;',
    'parallel 9.3–9.6 s, xargs 7.8–8.0 s): slow tasks are not held ahead, as before.',
    '',
  ];
}
