#!/usr/bin/env bash
# The README's second command (and .ci/run): install, build, check generated
# docs, run every test. Exits non-zero on any failure, and when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-pnpm.sh
pnpm install --frozen-lockfile
pnpm build
node scripts/gen-config-docs.mjs --check
mkdir -p .test-results
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile=.test-results/vitest.json || status=$?
node scripts/test-summary.mjs .test-results/vitest.json || status=$?
exit "$status"
