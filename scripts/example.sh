#!/usr/bin/env bash
# The README's first command: install, build, and run the main example on the
# embedded backend (no AWS, no daemon, nothing to start). On a machine whose
# Node.js is older than 22.15, Node 24 comes from the npm registry first
# (scripts/lib/ensure-node.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-node.sh
source scripts/lib/ensure-pnpm.sh
pnpm install --frozen-lockfile
pnpm build
[ -f examples/wordcount/data/reviews.jsonl ] || node examples/wordcount/generate.mjs
node packages/cli/dist/bin.js run examples/wordcount/job.yaml
echo "top words (examples/wordcount/out/wordcount.jsonl):"
head -n 5 examples/wordcount/out/wordcount.jsonl
