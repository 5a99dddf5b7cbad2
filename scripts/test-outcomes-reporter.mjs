// A vitest reporter that writes, for scripts/test-summary.mjs, the tests that
// failed (with the first lines of their error) and those that passed only on
// a retry (flaky: the e2e project retries once, vitest.config.ts), so the end
// of a CI log names them instead of leaving them hundreds of lines above.
//
//   --reporter=./scripts/test-outcomes-reporter.mjs, with DJC_TEST_OUTCOMES=FILE
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

const ERROR_LINES = 6;

export default class TestOutcomesReporter {
  failed = [];
  flaky = [];

  onTestCaseResult(testCase) {
    const result = testCase.result();
    const where = `${relative(process.cwd(), testCase.module.moduleId)} > ${testCase.fullName}`;
    if (result.state === 'failed') {
      // A retried test carries its error once per attempt: keep each message once.
      const message = [...new Set((result.errors ?? []).map((e) => e.message ?? String(e)))].join('\n');
      this.failed.push({ test: where, error: message.split('\n').slice(0, ERROR_LINES).join('\n') });
    } else if (result.state === 'passed' && testCase.diagnostic()?.flaky) {
      this.flaky.push({ test: where, retries: testCase.diagnostic().retryCount });
    }
  }

  onTestRunEnd() {
    const file = process.env.DJC_TEST_OUTCOMES;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ failed: this.failed, flaky: this.flaky }, null, 1)}\n`);
  }
}
