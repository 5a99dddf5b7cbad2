#!/usr/bin/env bash
# The README's second command (and .ci/run): install, build, check generated
# docs, start the local Slurm cluster the Slurm tests run on, and run the
# tests on every supported Node.js (scripts/lib/ensure-node.sh: Node 22 and
# 24, fetched from the npm registry into .cache/node when missing): the
# whole suite (unit + end-to-end) on the newest, the unit suite (less the
# AWS adapter suites, ONCE_ONLY below) on the
# others (the end-to-end suite drives the same built JavaScript through
# child processes and takes most of the time). Prints one summary line per
# version, then the totals. Exits non-zero on any failure, on an unhandled
# error, and when no test ran on a version.
#
#   DJC_TEST_NODE_VERSIONS="22.23.5 24.22.3"  the versions (default: all supported)
#   npm test -- FILE…   only those test files (vitest filters); the Slurm
#                        cluster is started only when one of them names slurm
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-node.sh
read -r -a versions <<< "${DJC_TEST_NODE_VERSIONS:-${DJC_NODE_VERSIONS[*]}}"
full=${versions[${#versions[@]}-1]}

# Install and build once, with the newest: the build is plain JavaScript and
# no dependency compiles anything, so every version runs the same tree.
djc_use_node "$full"
source scripts/lib/ensure-pnpm.sh
pnpm install --frozen-lockfile
pnpm build
node scripts/gen-config-docs.mjs --check

# The Slurm tests need a real cluster: start the single-node one (root; it
# installs Debian's slurm-wlm when missing) and stop it afterwards if this
# run started it.
needs_slurm=1
if [ $# -gt 0 ]; then case "$*" in *slurm*) ;; *) needs_slurm=0 ;; esac; fi
if [ "$needs_slurm" -eq 1 ] && ! scontrol ping 2>/dev/null | grep -q 'is UP'; then
  bash scripts/slurm/up.sh
  trap 'bash scripts/slurm/down.sh || true' EXIT
fi

# Unit suites that run once, on the newest version only: the AWS adapters'
# suites talk to the AWS-protocol servers for ~40 s each and exercise the AWS
# SDK (plain JavaScript), not anything that differs between Node versions.
ONCE_ONLY=(
  packages/core/src/backends/aws/sqs-task-queue.test.ts
  packages/core/src/backends/aws/dynamo-state-store.test.ts
)

rm -rf .test-results
mkdir -p .test-results
status=0
summary=()
for version in "${versions[@]}"; do
  bin=$(djc_node_bin "$version")
  label="node-$version"
  projects=()
  if [ "$version" = "$full" ]; then
    what="whole suite"
  else
    what="unit suite"
    projects=(--project unit)
    for slow in "${ONCE_ONLY[@]}"; do projects+=(--exclude "$slow"); done
  fi
  echo "test: == Node.js $version: $what ==" >&2
  PATH="$bin:$PATH" pnpm exec vitest run "${projects[@]}" "$@" --reporter=default --reporter=json \
    --outputFile=".test-results/$label.json" 2>&1 | tee ".test-results/$label.log" || status=$?
  summary+=(--run "$label" ".test-results/$label.json" ".test-results/$label.log")
done
node scripts/test-summary.mjs "${summary[@]}" || status=$?
exit "$status"
