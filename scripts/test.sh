#!/usr/bin/env bash
# The README's second command (and .ci/run): install, build, check generated
# docs (configuration.md, JSON Schemas, openapi.json), start the local
# Slurm cluster the Slurm tests run on, install the Chromium the browser
# tests drive (scripts/browser), and run the tests on every supported
# Node.js (scripts/lib/ensure-node.sh: Node 22 and 24, fetched from the npm
# registry into .cache/node when missing): the
# whole suite (unit + end-to-end) on the newest and, at the same time, the
# unit suite (less the ONCE_ONLY suites below) on the others (the
# end-to-end suite drives the same built JavaScript through child processes
# and takes most of the time). Prints one summary line per
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

# Install and build once, with the newest: the build is plain JavaScript (no
# dependency compiles anything) plus the worker's command spawner in C
# (scripts/build-spawner.mjs, no Node in it), so every version runs the same tree.
djc_use_node "$full"
source scripts/lib/ensure-pnpm.sh
pnpm install --frozen-lockfile
pnpm build
node scripts/gen-config-docs.mjs --check
node scripts/gen-openapi.mjs --check

# What to undo at exit (each entry is a command).
at_exit=()
trap 'for c in "${at_exit[@]}"; do eval "$c" || true; done' EXIT

# Tests that run the CLI as nobody need this checkout reachable by others.
if [ "$(id -u)" -eq 0 ]; then
  source scripts/lib/reachable-by-others.sh
  open_checkout_to_others
  at_exit+=(restore_checkout_modes)
fi

# The Slurm tests need a real cluster: start the single-node one (root; it
# installs Debian's slurm-wlm when missing) and stop it afterwards if this
# run started it.
needs_slurm=1
if [ $# -gt 0 ]; then case "$*" in *slurm*) ;; *) needs_slurm=0 ;; esac; fi
if [ "$needs_slurm" -eq 1 ] && ! scontrol ping 2>/dev/null | grep -q 'is UP'; then
  bash scripts/slurm/up.sh
  at_exit+=('bash scripts/slurm/down.sh')
fi

# The browser tests (the run report; later the dashboard) drive Debian's
# chromium through playwright-core: install it when missing (root).
needs_browser=1
if [ $# -gt 0 ]; then case "$*" in *report*|*browser*|*dashboard*) ;; *) needs_browser=0 ;; esac; fi
if [ "$needs_browser" -eq 1 ]; then
  DJC_CHROMIUM=$(bash scripts/browser/ensure-chromium.sh)
  export DJC_CHROMIUM
fi

# Unit suites that run once, on the newest version only: the AWS adapters'
# suites talk to the AWS-protocol servers for ~40 s each and exercise the AWS
# SDK (plain JavaScript), and the Slurm CLI's suite drives the one shared
# cluster (the end-to-end Slurm tests use it at the same time); none of them
# tests anything that differs between Node versions.
ONCE_ONLY=(
  packages/core/src/backends/aws/sqs-task-queue.test.ts
  packages/core/src/backends/aws/dynamo-state-store.test.ts
  packages/coordinator/src/dispatch/slurm/slurm-cli.test.ts
)

rm -rf .test-results
mkdir -p .test-results
# The machine's load and CPU over the tests, printed before the summary: a
# slower run is then told apart as more CPU of its own or others' load.
source scripts/lib/machine-usage.sh
machine_usage_start
status=0
summary=()
# run_vitest LABEL ARGS…: one vitest run on the Node of that label, with its
# JSON report and console log under .test-results/.
run_vitest() {
  local label=$1; shift
  DJC_TEST_OUTCOMES=".test-results/$label.outcomes.json" PATH="$(djc_node_bin "${label#node-}"):$PATH" \
    pnpm exec vitest run "$@" --reporter=default --reporter=json --reporter=./scripts/test-outcomes-reporter.mjs \
    --outputFile.json=".test-results/$label.json"
}

# The other versions' unit suites run on one worker each, in the background,
# while the whole suite runs on the newest: the end-to-end files mostly wait
# on the child processes they start, so the cores have room for them. Their
# logs are printed after the whole suite's.
background=()
for version in "${versions[@]}"; do
  [ "$version" = "$full" ] && continue
  label="node-$version"
  excludes=()
  for slow in "${ONCE_ONLY[@]}"; do excludes+=(--exclude "$slow"); done
  echo "test: == Node.js $version: unit suite (in the background, log printed below) ==" >&2
  run_vitest "$label" --project unit --maxWorkers=1 "${excludes[@]}" "$@" > ".test-results/$label.log" 2>&1 &
  background+=("$!:$label")
done

echo "test: == Node.js $full: whole suite ==" >&2
run_vitest "node-$full" "$@" 2>&1 | tee ".test-results/node-$full.log" || status=$?
summary+=(--run "node-$full" ".test-results/node-$full.json" ".test-results/node-$full.log")

for entry in "${background[@]}"; do
  pid=${entry%%:*}
  label=${entry#*:}
  wait "$pid" || status=$?
  echo "test: == ${label/node-/Node.js }: unit suite, its log ==" >&2
  cat ".test-results/$label.log"
  summary+=(--run "$label" ".test-results/$label.json" ".test-results/$label.log")
done
machine_usage_report "test: machine" >&2
node scripts/test-summary.mjs "${summary[@]}" || status=$?
exit "$status"
