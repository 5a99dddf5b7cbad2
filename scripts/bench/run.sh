#!/usr/bin/env bash
# `pnpm bench [NAME…]`: build djc, install the peers that are missing (GNU
# parallel; Redis for BullMQ; GNU time for peak RSS), run the benchmarks (all, or the ones
# named: tasks-per-second command-overhead partition-throughput aws-tasks
# slurm-dispatch slow-tasks sweep-validate stage-handoff sched-tick daemon-submit dashboard-paint api-latency failover daemon-soak bullmq cli-latency worker-soak submit-latency, and the opt-in sqlite-drivers and scale), each printing one JSON line, and rewrite docs/benchmarks.md
# from them. slurm-dispatch starts the local Slurm cluster first
# (scripts/slurm/up.sh: installs it when missing; needs root or sudo -n).
# Data goes to temp dirs under bench-data/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)

ALL=(tasks-per-second command-overhead partition-throughput aws-tasks slurm-dispatch slow-tasks sweep-validate stage-handoff sched-tick daemon-submit dashboard-paint api-latency failover daemon-soak bullmq cli-latency worker-soak submit-latency)
# Run only when named: sqlite-drivers (both SQLite drivers side by side, with a 1,000,000-task prepare; ~5 min),
# scale (a 1,000,000-task job through the daemon; several minutes).
OPT_IN=(sqlite-drivers scale)
selected=()
for arg in "$@"; do
  [ "$arg" = "--" ] && continue
  case " ${ALL[*]} ${OPT_IN[*]} " in
    *" $arg "*) selected+=("$arg") ;;
    *) echo "bench: unknown benchmark '$arg' (one of: ${ALL[*]} ${OPT_IN[*]})" >&2; exit 2 ;;
  esac
done
everything=0
[ ${#selected[@]} -eq 0 ] && selected=("${ALL[@]}") && everything=1
wants() { case " ${selected[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

source scripts/lib/ensure-node.sh
source scripts/lib/ensure-pnpm.sh
echo "bench: pnpm install --frozen-lockfile && pnpm build" >&2
pnpm install --frozen-lockfile >&2
pnpm build >&2

# install_missing COMMAND PACKAGE: apt-get install PACKAGE when COMMAND is missing.
# Prints what it does; on failure prints why and returns 1 (the caller skips that peer).
apt_updated=0
install_missing() {
  local cmd=$1 pkg=$2
  if [ -x "$cmd" ] || command -v "$cmd" >/dev/null 2>&1; then return 0; fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bench: $cmd is missing and there is no apt-get to install $pkg" >&2
    return 1
  fi
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo -n)
  if [ $apt_updated -eq 0 ]; then
    echo "bench: $cmd is missing: apt-get update" >&2
    "${sudo[@]}" apt-get update >&2 || { echo "bench: apt-get update failed" >&2; return 1; }
    apt_updated=1
  fi
  echo "bench: apt-get install -y --no-install-recommends $pkg" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "$pkg" >&2 \
    || { echo "bench: apt-get install $pkg failed" >&2; return 1; }
}

if { wants command-overhead || wants slow-tasks; } && ! install_missing parallel parallel; then
  export BENCH_PARALLEL_NOTE="GNU parallel is not installed and apt-get install parallel failed on this machine"
  echo "bench: GNU parallel will be skipped" >&2
fi
if wants partition-throughput && ! install_missing /usr/bin/time time; then
  echo "bench: no GNU time: peak RSS of the partitioner only, from inside it" >&2
fi
# bullmq runs BullMQ (an npm devDependency) on Debian's Redis; the benchmark
# starts and stops its own redis-server, never a system one.
if wants bullmq; then
  install_missing redis-server redis-server || echo "bench: no redis-server: bullmq will fail" >&2
  install_missing /usr/bin/time time || echo "bench: no GNU time: bullmq samples CPU and peak RSS from /proc" >&2
fi
# dashboard-paint needs a Chromium (Debian's package; installed as the browser tests do).
if wants dashboard-paint; then
  echo "bench: bash scripts/browser/ensure-chromium.sh" >&2
  bash scripts/browser/ensure-chromium.sh >&2 || echo "bench: no Chromium: dashboard-paint will fail" >&2
fi
# slurm-dispatch needs the local Slurm cluster; up.sh is idempotent (~1 s when it is up).
# A cluster this run starts is stopped when it ends, as scripts/test.sh does.
slurm_down=0
if wants slurm-dispatch; then
  sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo -n)
  was_up=0
  scontrol ping 2>/dev/null | grep -q 'is UP' && was_up=1
  echo "bench: ${sudo[*]} bash scripts/slurm/up.sh" >&2
  if ! "${sudo[@]}" bash scripts/slurm/up.sh >&2; then
    echo "bench: the local Slurm cluster is not up: slurm-dispatch will be skipped (failed)" >&2
    slurm_down=1
  elif [ "$was_up" -eq 0 ]; then
    trap '"${sudo[@]}" bash scripts/slurm/down.sh >&2 || true' EXIT
  fi
fi

results=bench-data/results
rm -rf "$results"
mkdir -p "$results"
failed=()
for name in "${selected[@]}"; do
  echo "bench: == $name ==" >&2
  if [ "$name" = slurm-dispatch ] && [ $slurm_down -eq 1 ]; then
    failed+=("$name")
    continue
  fi
  if node "scripts/bench/$name.mjs" > "$results/$name.json.tmp"; then
    mv "$results/$name.json.tmp" "$results/$name.json"
    cat "$results/$name.json"
  else
    rm -f "$results/$name.json.tmp"
    failed+=("$name")
  fi
done

# The total time is recorded only for a run of every benchmark.
full=()
[ "$everything" -eq 1 ] && full=(BENCH_STARTED="$started")
env "${full[@]}" BENCH_FAILED="${failed[*]}" node scripts/bench/write-report.mjs
echo "bench: done in $(( $(date +%s) - started )) s" >&2
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi
