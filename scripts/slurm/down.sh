#!/usr/bin/env bash
# Stops the single-node Slurm cluster of scripts/slurm/up.sh: slurmd,
# slurmctld and munged, by the PIDs in their pidfiles, and waits until they
# are gone (a stopped daemon can linger as a zombie until PID 1 reaps it).
set -euo pipefail
for pidfile in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
  [ -s "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  running() { [ -r "/proc/$pid/status" ] && ! grep -q '^State:.*Z' "/proc/$pid/status"; }
  running || continue
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do running || break; sleep 0.1; done
  running && kill -KILL "$pid" 2>/dev/null || true
  echo "slurm-down: stopped $(basename "$pidfile" .pid) (pid $pid)" >&2
done
