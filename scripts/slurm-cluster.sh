#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the Slurm executor's tests and for trying it out:
# munged, slurmctld and slurmd bound to 127.0.0.1, all state (config, keys, spool, logs, pid files)
# under DIR. Needs root and the Debian packages slurm-wlm slurmctld slurmd munge slurm-client.
#
#   scripts/slurm-cluster.sh start DIR   # prints the SLURM_CONF path (also written to DIR/conf-path)
#   scripts/slurm-cluster.sh stop DIR    # cancels every job, shuts down, kills what is left
#   scripts/slurm-cluster.sh status DIR  # exit 0 when the controller answers
#
# Every client command needs SLURM_CONF=DIR/slurm.conf. Each step is bounded in time: start gives up
# after START_TIMEOUT seconds (default 20), stop after about 10.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop|status DIR" >&2
  exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf="$dir/slurm.conf"
export SLURM_CONF="$conf"

pid_of() { [[ -f "$dir/$1.pid" ]] && cat "$dir/$1.pid" 2>/dev/null || true; }
alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# Two free TCP ports on loopback, above 20000.
free_ports() {
  local used p out=()
  used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
  for ((p = 20000 + RANDOM % 20000; ${#out[@]} < 2; p++)); do
    grep -qx "$p" <<<"$used" || out+=("$p")
  done
  echo "${out[@]}"
}

write_conf() {
  local host cpus mem ports
  host=$(hostname -s)
  # SLURM_CLUSTER_CPUS offers more CPUs than the machine has (toy jobs mostly sleep), so that tests
  # whose jobs wait do not queue behind each other.
  cpus=${SLURM_CLUSTER_CPUS:-$(nproc)}
  # Leave some memory to the machine; Slurm schedules --mem against RealMemory.
  mem=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
  read -r -a ports <<<"$(free_ports)"
  cat >"$conf" <<EOF
ClusterName=w2s-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerParameters=batch_sched_delay=0
DefMemPerCPU=1024
MinJobAge=3600
KillWait=2
ReturnToService=2
SlurmdTimeout=30
MailProg=/bin/true
$( ((cpus > $(nproc))) && echo "SlurmdParameters=config_overrides")
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  echo "$conf" >"$dir/conf-path"
}

start() {
  for b in munged slurmctld slurmd sbatch; do
    command -v "$b" >/dev/null || { echo "error: $b is not installed (apt-get install slurm-wlm slurmctld slurmd munge slurm-client)" >&2; exit 2; }
  done
  if alive "$(pid_of slurmctld)"; then
    echo "$conf"
    return
  fi
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  # munged refuses a socket directory that others may write to, and clients must reach the socket.
  chmod 755 "$dir" "$dir/munge"
  if [[ ! -f "$dir/munge/munge.key" ]]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$dir/munge/munge.key"
  fi
  write_conf
  munged -f --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed"
  slurmctld -c -i -f "$conf"
  slurmd -f "$conf" -N "$(hostname -s)"
  local deadline=$((SECONDS + ${START_TIMEOUT:-20}))
  until sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; do
    if ((SECONDS > deadline)); then
      echo "error: the cluster in $dir did not come up; see $dir/slurmctld.log and $dir/slurmd.log" >&2
      stop
      exit 1
    fi
    sleep 0.2
  done
  echo "$conf"
}

# Waits up to $2 tenths of a second for pid $1 to exit; then kills it.
reap() {
  local pid=$1 n=$2
  while alive "$pid" && ((n-- > 0)); do sleep 0.1; done
  if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
}

descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

stop() {
  local ctld slurmd munge
  ctld=$(pid_of slurmctld)
  slurmd=$(pid_of slurmd)
  munge=$(pid_of munged)
  if alive "$ctld" && [[ -f "$conf" ]]; then
    # `scontrol shutdown` leaves running jobs alive: cancel them first.
    timeout 5 scancel --full --quiet --user=root 2>/dev/null || true
    local n=30
    while ((n-- > 0)) && [[ -n "$(timeout 3 squeue -h -t running,completing,pending -o %i 2>/dev/null)" ]]; do sleep 0.1; done
    timeout 5 scontrol shutdown >/dev/null 2>&1 || true
  fi
  for pid in "$ctld" "$slurmd"; do [[ -n "$pid" ]] && reap "$pid" 30; done
  # What this cluster's jobs left (a slurmstepd of ours, found by the SLURM_CONF it inherited, and
  # its descendants), by pid.
  local doomed=()
  for pid in $(pgrep -x slurmstepd 2>/dev/null || true); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "SLURM_CONF=$conf"; then doomed+=("$pid" $(descendants "$pid")); fi
  done
  ((${#doomed[@]})) && kill -9 "${doomed[@]}" 2>/dev/null || true
  [[ -n "$munge" ]] && { kill "$munge" 2>/dev/null || true; reap "$munge" 20; }
  rm -f "$dir"/*.pid
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) timeout 5 scontrol ping >/dev/null 2>&1 ;;
  *)
    echo "usage: $0 start|stop|status DIR" >&2
    exit 2
    ;;
esac
