#!/bin/sh
# A throwaway single-node Slurm on this machine, for trying the batch
# example (and for tests/test_batch_slurm.c).  Needs root and the Debian
# packages slurm-wlm and munge.  Everything lives under DIR: its own munged
# socket, slurm.conf, state and spool folders, logs and pid files; nothing
# system-wide is changed and `stop` kills only the daemons it started.
#
#   sh examples/slurm/single-node.sh start DIR   # prints: export SLURM_CONF=DIR/slurm.conf
#   SLURM_CONF=DIR/slurm.conf sbatch ...
#   sh examples/slurm/single-node.sh stop DIR
#
# slurm.conf follows the settings a one-host cluster without cgroups needs
# (docs: slurm.schedmd.com/slurm.conf.html): proctrack/linuxproc, task/none,
# select/cons_tres, accounting off.
set -eu
cmd=${1:?start|stop}; dir=${2:?DIR}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)

stop() {
    for p in slurmd slurmctld munged; do
        if [ -f "$dir/$p.pid" ]; then
            pid=$(cat "$dir/$p.pid")
            kill "$pid" 2>/dev/null || true
            i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$dir/$p.pid"
        fi
    done
}

free_port() {  # a free TCP port from the kernel
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case "$cmd" in
stop) stop; exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

[ "$(id -u)" = 0 ] || { echo "single-node.sh: needs root" >&2; exit 2; }
for b in munged slurmctld slurmd sbatch; do
    command -v $b >/dev/null 2>&1 || [ -x /usr/sbin/$b ] || { echo "single-node.sh: $b not installed (apt-get install slurm-wlm munge)" >&2; exit 3; }
done
stop
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
# munge: its own key and socket (the package's key when readable)
if [ -r /etc/munge/munge.key ]; then cp /etc/munge/munge.key "$dir/munge/munge.key"
else dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null; fi
chmod 600 "$dir/munge/munge.key"; chmod 700 "$dir/munge"
/usr/sbin/munged --force --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" \
    --num-threads=2
host=$(hostname -s)
cpus=$(nproc)
cat >"$dir/slurm.conf" <<CONF
ClusterName=lfdlocal
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
MaxArraySize=10001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
/usr/sbin/slurmctld -f "$SLURM_CONF" -i
/usr/sbin/slurmd -f "$SLURM_CONF" -N "$host"
# wait for the node to be idle
i=0
while [ $i -lt 100 ]; do
    st=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
    case "$st" in idle*|mixed*|allocated*) echo "export SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
    sleep 0.2; i=$((i+1))
done
echo "single-node.sh: the node did not come up (state '${st:-none}'); logs in $dir" >&2
tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop
exit 4
