#!/usr/bin/env node
// Prints "N passed, N failed, N skipped" from vitest's JSON report, and fails
// when no test ran (an empty run is not a green run). Given vitest's console
// log too, it repeats any "Unhandled Errors" section last, so the end of a CI
// log says what failed a run whose tests all passed.
//
// Several runs (one per Node version): `--run LABEL REPORT.json LOG` for each;
// it prints one "LABEL: N passed, …" line per run, then the totals as the last
// line, and fails when any run failed or ran no test.
//
// The chaos suite's figures (packages/cli/test/chaos: one JSON line per test
// in .test-results/chaos.jsonl, or DJC_CHAOS_RESULTS) are printed as a table
// just before the totals, so every CI log shows them.
import { existsSync, readFileSync } from 'node:fs';

/** The counts and unhandled-errors text of one vitest run; `problem` when its report is unreadable. */
function readRun(file, logFile) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { passed: 0, failed: 0, skipped: 0, unhandled: '', problem: `cannot read ${file}: ${e.message}` };
  }
  const passed = report.numPassedTests ?? 0;
  const failed = report.numFailedTests ?? 0;
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  let unhandled = '';
  if (logFile) {
    // eslint-disable-next-line no-control-regex
    const log = readFileSync(logFile, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
    const start = log.search(/Unhandled (Errors|Rejection|Error)/);
    if (start >= 0) {
      const end = log.indexOf(' Test Files ', start);
      unhandled = log.slice(start, end > start ? end : start + 8000)
        // Drop vitest's serialized error objects: a response dump can run to 100 KB.
        .replace(/^Serialized Error:.*$/gm, 'Serialized Error: (see the full log above)')
        .trim();
    }
  }
  return { passed, failed, skipped, unhandled, success: report.success !== false };
}

const line = (r) => `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${r.unhandled ? ', and unhandled errors (above)' : ''}`;
const bad = (r) => r.problem || r.passed + r.failed === 0 || r.failed > 0 || r.unhandled || !r.success;

const args = process.argv.slice(2);
const runs = [];
if (args[0] === '--run') {
  for (let i = 0; i < args.length; i += 4) {
    if (args[i] !== '--run' || args[i + 2] === undefined) {
      console.error('usage: test-summary.mjs [REPORT.json [LOG]] | (--run LABEL REPORT.json LOG)...');
      process.exit(2);
    }
    runs.push({ label: args[i + 1], ...readRun(args[i + 2], args[i + 3]) });
  }
} else {
  runs.push({ label: null, ...readRun(args[0] ?? '.test-results/vitest.json', args[1]) });
}

for (const r of runs) {
  if (r.unhandled) console.error(`\n${r.label ? `${r.label}: ` : ''}${r.unhandled.slice(0, 4000)}\n`);
  if (r.problem) console.error(`test-summary: ${r.label ? `${r.label}: ` : ''}${r.problem}`);
  else if (r.passed + r.failed === 0) console.error(`test-summary: ${r.label ? `${r.label}: ` : ''}no test ran`);
}
if (runs.length > 1 || runs[0].label) for (const r of runs) console.log(`${r.label}: ${line(r)}`);
printChaosTable(process.env.DJC_CHAOS_RESULTS ?? '.test-results/chaos.jsonl');
const total = runs.reduce((t, r) => ({
  passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped, unhandled: t.unhandled || r.unhandled,
}), { passed: 0, failed: 0, skipped: 0, unhandled: '' });
console.log(line(total));
process.exit(runs.some(bad) ? 1 : 0);


/** The chaos figures as a table on stdout (nothing when no chaos test ran). */
function printChaosTable(file) {
  if (!existsSync(file)) return;
  const rows = [];
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (!l.trim()) continue;
    try {
      rows.push(JSON.parse(l));
    } catch {
      rows.push({ test: `(unreadable line: ${l.slice(0, 60)})` });
    }
  }
  if (rows.length === 0) return;
  const head = ['chaos test', 'backend', 'tasks', 'lost', 'duplicated', 'attempts', 'worker kills', 'leader kills', 'takeover s'];
  const cells = rows.map((r) => [
    r.test ?? '?', r.backend ?? '', r.tasks ?? '', r.lost ?? '', r.duplicated ?? '', r.attempts ?? '',
    r.workerKills ?? '', r.coordinatorKills ?? '', Array.isArray(r.takeoverSeconds) && r.takeoverSeconds.length > 0 ? r.takeoverSeconds.join(', ') : '-',
  ].map(String));
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const fmt = (c) => c.map((x, i) => (i < 2 ? x.padEnd(width[i]) : x.padStart(width[i]))).join('  ').trimEnd();
  console.log(`\n${fmt(head)}\n${width.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const c of cells) console.log(fmt(c));
  console.log('');
}
