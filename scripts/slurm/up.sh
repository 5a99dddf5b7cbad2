#!/usr/bin/env bash
# Starts a single-node Slurm cluster on 127.0.0.1 for djc's tests, benchmarks
# and local development: installs Debian's slurm-wlm and munge when missing,
# writes /etc/slurm/slurm.conf, starts munged, slurmctld and slurmd, and waits
# until a probe job has run. Idempotent: when everything is up it only checks
# (~0.1 s). Needs root. Stop it with scripts/slurm/down.sh.
#
# Facts behind the choices: ../shared/notes/slurm.md in the workplace, and
# docs/operations.md#slurm.
set -euo pipefail

conf_dir=/etc/slurm
conf="$conf_dir/slurm.conf"
# CPUs the node advertises: more than the cores so several 1-CPU array
# elements run at once (SlurmdParameters=config_overrides allows it).
cpus="${DJC_SLURM_CPUS:-8}"

say() { echo "slurm-up: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts Slurm's daemons); try: sudo bash $0"

alive() { # pidfile → 0 when its process runs (a zombie does not count)
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  [ -r "/proc/$pid/status" ] && ! grep -q '^State:.*Z' "/proc/$pid/status"
}

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

want_conf=$(cat <<CONF
# Written by djc's scripts/slurm/up.sh: one node on 127.0.0.1, no cgroups.
ClusterName=djc
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
MinJobAge=300
KillWait=5
InactiveLimit=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=4096 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=12:00:00 State=UP
CONF
)

mkdir -p "$conf_dir" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
changed=0
if [ "$(cat "$conf" 2>/dev/null)" != "$want_conf" ]; then
  printf '%s\n' "$want_conf" > "$conf"
  changed=1
fi

# munge: the key comes from Debian's postinst; the socket dir is ours to make.
if ! alive /run/munge/munged.pid; then
  mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
  [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  runuser -u munge -- /usr/sbin/munged --force
  say "started munged"
fi
for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
munge -n | unmunge >/dev/null 2>&1 || die "munged does not answer (munge -n | unmunge failed)"

if alive /run/slurmctld.pid && [ "$changed" = 1 ]; then
  scontrol reconfigure >/dev/null && say "slurm.conf changed: reconfigured"
fi
if ! alive /run/slurmctld.pid; then /usr/sbin/slurmctld; say "started slurmctld"; fi
if ! alive /run/slurmd.pid; then /usr/sbin/slurmd -N localhost; say "started slurmd"; fi

for _ in $(seq 150); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.2; done
scontrol ping | grep -q 'is UP' || die "slurmctld is not UP; see /var/log/slurm/slurmctld.log"
for _ in $(seq 150); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  case "$state" in idle*|mixed*|allocated*) break ;; down*|drain*) scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true ;; esac
  sleep 0.2
done

# A node restored from saved state can look idle before slurmd re-registered:
# only a job that ran proves the cluster works.
probe=$(sbatch --parsable --job-name=djc-probe --output=/dev/null --wrap=true)
for _ in $(seq 300); do
  st=$(squeue -h -j "$probe" -t all -o %T 2>/dev/null || true)
  case "$st" in COMPLETED) break ;; FAILED|CANCELLED|TIMEOUT|NODE_FAIL|BOOT_FAIL) die "probe job $probe ended $st; see /var/log/slurm/" ;; esac
  sleep 0.1
done
[ "$st" = COMPLETED ] || die "probe job $probe did not complete in 30 s (state: ${st:-unknown}); see /var/log/slurm/"
say "up: partition debug on localhost, $cpus CPUs (probe job $probe ran)"
