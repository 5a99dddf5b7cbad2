#!/usr/bin/env node
// Prints "N passed, N failed, N skipped" from vitest's JSON report, and fails
// when no test ran (an empty run is not a green run). Given vitest's console
// log too, it repeats any "Unhandled Errors" section last, so the end of a CI
// log says what failed a run whose tests all passed.
//
// Several runs (one per Node version): `--run LABEL REPORT.json LOG` for each;
// it prints one "LABEL: N passed, …" line per run, then the totals as the last
// line, and fails when any run failed or ran no test. Next to REPORT.json,
// REPORT.outcomes.json (scripts/test-outcomes-reporter.mjs) names the tests
// that failed and those that passed only on a retry: both are listed last.
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
  return { passed, failed, skipped, unhandled, success: report.success !== false, ...readOutcomes(file) };
}

/** The failed and flaky tests the outcomes reporter wrote next to the JSON report (none when it did not run). */
function readOutcomes(file) {
  const outcomes = file.replace(/\.json$/, '.outcomes.json');
  if (!existsSync(outcomes)) return { failedTests: [], flakyTests: [] };
  const o = JSON.parse(readFileSync(outcomes, 'utf8'));
  return { failedTests: o.failed ?? [], flakyTests: o.flaky ?? [] };
}

/** The failed tests with their first error lines, then the flaky ones: the last thing a CI log shows before the counts. */
function printOutcomes(runs) {
  const failed = runs.flatMap((r) => (r.failedTests ?? []).map((t) => ({ ...t, label: r.label })));
  const flaky = runs.flatMap((r) => (r.flakyTests ?? []).map((t) => ({ ...t, label: r.label })));
  if (failed.length > 0) {
    console.log(`\nFailed tests (${failed.length}):`);
    for (const t of failed) console.log(`  ${t.label ? `${t.label}: ` : ''}${t.test}\n${t.error.replace(/^/gm, '      ')}`);
  }
  if (flaky.length > 0) {
    console.log(`\nPassed only on a retry (flaky, ${flaky.length}):`);
    for (const t of flaky) {
      console.log(`  ${t.label ? `${t.label}: ` : ''}${t.test} (retried ${t.retries}×)${t.error ? `; first failure:\n${t.error.replace(/^/gm, '      ')}` : ''}`);
    }
  }
}

const line = (r) => `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${r.flakyTests?.length ? ` (${r.flakyTests.length} passed on a retry)` : ''}${r.unhandled ? ', and unhandled errors (above)' : ''}`;
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
printOutcomes(runs);
if (runs.length > 1 || runs[0].label) for (const r of runs) console.log(`${r.label}: ${line(r)}`);
printChaosTable(process.env.DJC_CHAOS_RESULTS ?? '.test-results/chaos.jsonl');
const total = runs.reduce((t, r) => ({
  passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped, unhandled: t.unhandled || r.unhandled,
  flakyTests: [...t.flakyTests, ...(r.flakyTests ?? [])],
}), { passed: 0, failed: 0, skipped: 0, unhandled: '', flakyTests: [] });
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
