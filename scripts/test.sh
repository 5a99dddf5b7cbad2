#!/usr/bin/env bash
# The README's second command (and .ci/run): install, build, check generated
# docs, start the local Slurm cluster the Slurm tests run on, run every test.
# Exits non-zero on any failure, on an unhandled error, and when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-pnpm.sh
pnpm install --frozen-lockfile
pnpm build
node scripts/gen-config-docs.mjs --check

# The Slurm tests need a real cluster: start the single-node one (root; it
# installs Debian's slurm-wlm when missing) and stop it afterwards if this
# run started it.
if ! scontrol ping 2>/dev/null | grep -q 'is UP'; then
  bash scripts/slurm/up.sh
  trap 'bash scripts/slurm/down.sh || true' EXIT
fi

# The Parquet tests write zstd-compressed files; Node 20's zlib cannot, the zstd tool can.
if ! command -v zstd >/dev/null; then
  echo "test: installing zstd (Debian package) for the Parquet tests" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zstd >/dev/null \
    || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zstd >/dev/null; }
fi

mkdir -p .test-results
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile=.test-results/vitest.json 2>&1 \
  | tee .test-results/vitest.log || status=$?
node scripts/test-summary.mjs .test-results/vitest.json .test-results/vitest.log || status=$?
exit "$status"
