#!/usr/bin/env bash
# Start a real single-node SLURM (Debian 12: slurmctld, slurmd, slurm-client,
# munge; SLURM 22.05) on this host without systemd, for tests.
#
#   tests/workflow/slurm/start.sh STATE_DIR     (as root)
#
# Writes STATE_DIR/slurm.conf (+ gres.conf with one fake GPU on /dev/null, so
# rules asking gpu=1 are accepted), starts munged (unless one answers already),
# slurmctld and slurmd, waits until the node is idle, and records the PIDs of
# the daemons it started in STATE_DIR/pids for tests/workflow/slurm/stop.sh (and the
# /etc/slurm links it made, in STATE_DIR/links).
# Use the cluster with: export SLURM_CONF=STATE_DIR/slurm.conf
set -euo pipefail
state=${1:?usage: start.sh STATE_DIR}
[ "$(id -u)" = 0 ] || { echo "start.sh: must run as root" >&2; exit 2; }
for bin in munged munge unmunge slurmctld slurmd sbatch squeue scontrol sinfo; do
  command -v "$bin" >/dev/null || { echo "start.sh: $bin not found (apt-get install slurmd slurmctld slurm-client munge)" >&2; exit 3; }
done
mkdir -p "$state"/spool/ctld "$state"/spool/d "$state"/log "$state"/run
state=$(cd "$state" && pwd)
: > "$state/pids"
host=$(hostname -s)
cpus=$(nproc)
mem=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
mem=$(( mem * 9 / 10 ))

# munge: key, socket folder, daemon
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [ ! -s /etc/munge/munge.key ]; then mungekey --create --keyfile=/etc/munge/munge.key; fi
  chown munge:munge /etc/munge/munge.key && chmod 600 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  su -s /bin/sh munge -c "munged --force"
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || { echo "start.sh: munged does not answer" >&2; exit 4; }
  cat /run/munge/munged.pid >> "$state/pids" 2>/dev/null || pgrep -n -u munge munged >> "$state/pids"
fi

cat > "$state/slurm.conf" <<CONF
ClusterName=inpainttest
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$state/spool/ctld
SlurmdSpoolDir=$state/spool/d
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$state/log/jobcomp.txt
DefMemPerCPU=500
MinJobAge=300
MailProg=/bin/true
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
GresTypes=gpu
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes=$host Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$host MaxTime=INFINITE State=UP
CONF
echo "NodeName=$host Name=gpu File=/dev/null" > "$state/gres.conf"
# Job steps (srun inside a job) read /etc/slurm/slurm.conf: link ours there,
# unless a real configuration is in place (then refuse rather than clobber it).
mkdir -p /etc/slurm
for name in slurm.conf gres.conf; do
  target=/etc/slurm/$name
  if [ -e "$target" ] && [ "$(readlink "$target")" != "$state/$name" ]; then
    echo "start.sh: $target exists and is not ours; refusing to replace it" >&2; exit 7
  fi
  ln -sfn "$state/$name" "$target"
  echo "$target" >> "$state/links"
done
export SLURM_CONF=$state/slurm.conf

slurmctld
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
cat "$state/run/slurmctld.pid" >> "$state/pids"
scontrol ping | grep -q UP || { echo "start.sh: slurmctld not up; see $state/log/slurmctld.log" >&2; exit 5; }
slurmd
for _ in $(seq 100); do
  [ -s "$state/run/slurmd.pid" ] && sinfo -h -o %t 2>/dev/null | grep -qx idle && break
  sleep 0.2
done
cat "$state/run/slurmd.pid" >> "$state/pids"
sinfo -h -o %t | grep -qx idle || { echo "start.sh: node not idle; see $state/log/slurmd.log" >&2; exit 6; }
echo "SLURM up: export SLURM_CONF=$state/slurm.conf"
