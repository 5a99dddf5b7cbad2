# shellcheck shell=bash
# What the machine did during a test run, so that two CI runs can be told
# apart by their own CPU and by the load others put on the machine:
#   machine_usage_start; ...run...; machine_usage_report LABEL
# prints "LABEL: load X at start, Y at end; machine CPU busy B core-s of
# W wall s on N cores; this run's processes (waited for) U core-s".
# The run's own figure is bash's `times` for its children: processes that
# were reparented (a daemon's detached children) are in "busy", not in it.

_mu_busy() { awk '/^cpu /{print ($2+$3+$4+$7+$8+$9)/100}' /proc/stat; }
# `times` must run in this shell (in $(...) it would show the subshell's children).
_mu_children() {
  local f; f=$(mktemp)
  times > "$f"
  _mu_children_s=$(awk 'NR==2{for(i=1;i<=2;i++){split($i,a,/[ms]/);s+=a[1]*60+a[2]}print s}' "$f")
  rm -f "$f"
}

machine_usage_start() {
  _mu_load0=$(cut -d' ' -f1 /proc/loadavg)
  _mu_busy0=$(_mu_busy)
  _mu_children; _mu_children0=$_mu_children_s
  _mu_t0=$(date +%s)
}

machine_usage_report() {
  local wall busy own
  wall=$(( $(date +%s) - _mu_t0 ))
  busy=$(awk -v a="$_mu_busy0" -v b="$(_mu_busy)" 'BEGIN{printf "%.0f", b-a}')
  _mu_children
  own=$(awk -v a="$_mu_children0" -v b="$_mu_children_s" 'BEGIN{printf "%.0f", b-a}')
  echo "$1: load $_mu_load0 at start, $(cut -d' ' -f1 /proc/loadavg) at end; machine CPU busy $busy core-s of $wall wall s on $(nproc) cores; this run's processes (waited for) $own core-s"
}
