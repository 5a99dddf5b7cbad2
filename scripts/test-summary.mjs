#!/usr/bin/env node
// Prints "N passed, N failed, N skipped" from vitest's JSON report, and fails
// when no test ran (an empty run is not a green run). Given vitest's console
// log too, it repeats any "Unhandled Errors" section last, so the end of a CI
// log says what failed a run whose tests all passed.
import { readFileSync } from 'node:fs';

const [file = '.test-results/vitest.json', logFile] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`test-summary: cannot read ${file}: ${e.message}`);
  process.exit(1);
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
if (unhandled) console.error(`\n${unhandled.slice(0, 4000)}\n`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped${unhandled ? ', and unhandled errors (above)' : ''}`);
if (passed + failed === 0) {
  console.error('test-summary: no test ran');
  process.exit(1);
}
process.exit(failed > 0 || unhandled || report.success === false ? 1 : 0);
