// A vitest reporter that writes, for scripts/test-summary.mjs, the tests that
// failed (with the first lines of their error) and those that passed only on
// a retry (flaky: the e2e project retries once, vitest.config.ts), so the end
// of a CI log names them instead of leaving them hundreds of lines above.
//
//   --reporter=./scripts/test-outcomes-reporter.mjs, with DJC_TEST_OUTCOMES=FILE
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

const ERROR_LINES = 6;

/** The errors' messages, each once (a retried test carries one per attempt), cut to a few lines. */
function firstLines(errors) {
  const message = [...new Set((errors ?? []).map((e) => e.message ?? String(e)))].join('\n');
  return message.split('\n').slice(0, ERROR_LINES).join('\n');
}

export default class TestOutcomesReporter {
  failed = [];
  flaky = [];

  onTestCaseResult(testCase) {
    const result = testCase.result();
    const where = `${relative(process.cwd(), testCase.module.moduleId)} > ${testCase.fullName}`;
    if (result.state === 'failed') {
      this.failed.push({ test: where, error: firstLines(result.errors) });
    } else if (result.state === 'passed' && testCase.diagnostic()?.flaky) {
      // A test that passed on a retry still carries the errors of the attempts that failed.
      this.flaky.push({ test: where, retries: testCase.diagnostic().retryCount, error: firstLines(result.errors) });
    }
  }

  onTestRunEnd() {
    const file = process.env.DJC_TEST_OUTCOMES;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ failed: this.failed, flaky: this.flaky }, null, 1)}\n`);
  }
}
