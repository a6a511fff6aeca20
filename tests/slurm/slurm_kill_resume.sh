#!/usr/bin/env bash
# A sensitivity study on a real single-node Slurm (loopback), killed midway and resumed.
#
# 1. Starts munge (unless one is running), slurmctld and slurmd from a slurm.conf in a
#    scratch folder (SLURM_CONF), and waits for the node to be idle.
# 2. Writes a small sendsim design (Rutland, one year, Morris, 3 factors + dummy, 2
#    replicates) split into 6 chunks, and evaluates it with hydra/launcher=submitit_slurm as
#    one job array (2 tasks at a time).
# 3. Once at least one chunk is done and before all are, kills the Hydra driver and scancels
#    the array; then runs the same command again, which completes only the missing chunks.
# 4. Runs the same study with the basic launcher and with joblib into other folders, and
#    checks the design, every chunk, the merged results and the indices are identical.
# 5. Stops the daemons it started by PID (also on failure) and exits non-zero on any failure.
#
# Needs root, slurm-wlm and munge (.ci/slurm-test installs them). Usage:
#   tests/slurm/slurm_kill_resume.sh [SCRATCH_DIR]
set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
SCRATCH="${1:-$(mktemp -d /tmp/sendsim-slurm.XXXXXX)}"
CHUNKS=6
STARTED=()          # pid files of the daemons this script started
T0=$SECONDS

say() { printf '[%4ds] %s\n' "$((SECONDS - T0))" "$*"; }
fail() { say "FAILED: $*"; exit 1; }

stop_daemons() {
    local status=$?
    if [[ -n "${SLURM_CONF:-}" ]] && command -v squeue >/dev/null; then
        squeue -h -o %A 2>/dev/null | sort -u | xargs -r scancel 2>/dev/null || true
    fi
    for pidfile in "${STARTED[@]}"; do
        local pid
        pid=$(cat "$pidfile" 2>/dev/null) || continue
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        say "stopped $(basename "$pidfile" .pid) (pid $pid)"
    done
    if ((status == 0)); then
        say "PASSED in $((SECONDS - T0)) s (scratch folder $SCRATCH)"
    else
        say "FAILED with status $status; logs in $SCRATCH"
    fi
}
trap stop_daemons EXIT
trap "exit 143" TERM INT  # a killed test must not report success

# ---------------------------------------------------------------- 1. a cluster on loopback
start_cluster() {
    local conf="$SCRATCH/slurm"
    mkdir -p "$conf/state" "$conf/spool" "$conf/log" /run/munge
    chown -R slurm:slurm "$conf"
    cat >"$conf/slurm.conf" <<EOF
ClusterName=sendsim-test
SlurmctldHost=localhost
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$conf/state
SlurmdSpoolDir=$conf/spool
SlurmctldPidFile=$conf/slurmctld.pid
SlurmdPidFile=$conf/slurmd.pid
SlurmctldLogFile=$conf/log/slurmctld.log
SlurmdLogFile=$conf/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MaxArraySize=1001
NodeName=localhost NodeHostname=$(hostname) NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$conf/slurm.conf"

    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        say "munge already running; using it"
    else
        chown munge:munge /run/munge  # munged insists on owning its pid file's folder
        runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/sendsim-test.pid
        STARTED+=(/run/munge/sendsim-test.pid)
        munge -n | unmunge >/dev/null || fail "munge does not work"
        say "started munged (pid $(cat /run/munge/sendsim-test.pid))"
    fi
    if pgrep -r D,R,S -x slurmctld >/dev/null || pgrep -r D,R,S -x slurmd >/dev/null; then
        fail "a Slurm daemon is already running on this machine; stop it first"
    fi
    /usr/sbin/slurmctld -f "$SLURM_CONF"
    STARTED+=("$conf/slurmctld.pid")
    /usr/sbin/slurmd -f "$SLURM_CONF"
    STARTED+=("$conf/slurmd.pid")
    local start=$SECONDS
    until timeout 5 sinfo -h -o %T 2>/dev/null | grep -q idle; do
        for pidfile in "$conf/slurmctld.pid" "$conf/slurmd.pid"; do
            kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null \
                || { tail -5 "$conf"/log/*.log; fail "$(basename "$pidfile" .pid) died"; }
        done
        ((SECONDS - start < 60)) || fail "the node did not become idle in 60 s (see $conf/log)"
        sleep 0.2
    done
    say "slurmctld (pid $(cat "$conf/slurmctld.pid")) and slurmd (pid $(cat "$conf/slurmd.pid")) up; node idle"
}

# ---------------------------------------------------------------- 2. the study
STUDY=(
    area=rutland run.years=1 population.sample_fraction=0.5
    sensitivity.method=morris sensitivity.n=4 sensitivity.replicates=2
    "sensitivity.factors=[policy.workforce.educational_psychologists,policy.workforce.therapists,behaviour.needs.emergence_per_year]"
    "sensitivity.outputs=[ehcp_per_10k_0_25@end,hn_spend_gbp@sum,mean_months_unmet_need@mean]"
    sensitivity.chunks=$CHUNKS
)
EVERY_CHUNK="sensitivity.chunk=range(0,$CHUNKS)"
SLURM=(
    hydra/launcher=submitit_slurm hydra.launcher.partition=debug
    hydra.launcher.cpus_per_task=1 hydra.launcher.timeout_min=20
    hydra.launcher.array_parallelism=2
)

sensitivity() { "$PYTHON" -m sendsim.sensitivity "$@"; }

chunks_done() { find "$1/chunks" -maxdepth 1 -name 'chunk_*.parquet' 2>/dev/null | wc -l; }

timed() {  # timed LABEL COMMAND...: run, report the seconds taken
    local label=$1 start=$SECONDS
    shift
    "$@" >"$SCRATCH/$label.log" 2>&1 || { tail -30 "$SCRATCH/$label.log"; fail "$label"; }
    say "$label: $((SECONDS - start)) s"
}

# ---------------------------------------------------------------- 3. kill and resume
kill_midway() {
    local dir=$1
    # Started directly (not through a function) so that $! is the driver's own pid.
    "$PYTHON" -m sendsim.sensitivity -m "${STUDY[@]}" sensitivity.dir="$dir" \
        sensitivity.stage=evaluate "$EVERY_CHUNK" "${SLURM[@]}" >"$SCRATCH/slurm_killed.log" 2>&1 &
    local driver=$! start=$SECONDS
    say "Hydra driver (pid $driver) submitting the job array"
    until (($(chunks_done "$dir") >= 1)); do
        kill -0 "$driver" 2>/dev/null || { tail -30 "$SCRATCH/slurm_killed.log"; fail "the driver ended before any chunk finished"; }
        ((SECONDS - start < 600)) || fail "no chunk finished in 600 s"
        sleep 0.2
    done
    local array
    array=$(squeue -h -o %F | sort -u | head -1)
    [[ -n "$array" ]] || fail "no job array in the queue"
    kill "$driver"
    scancel "$array"
    wait "$driver" 2>/dev/null || true
    ! kill -0 "$driver" 2>/dev/null || fail "the driver (pid $driver) survived SIGTERM"
    local done
    done=$(chunks_done "$dir")
    say "killed the driver and scancelled array $array after $((SECONDS - start)) s with $done of $CHUNKS chunks done"
    ((done < CHUNKS)) || fail "every chunk finished before the kill; the test proves nothing"
    until [[ -z "$(squeue -h)" ]]; do sleep 0.2; done
    say "queue empty; $(chunks_done "$dir") of $CHUNKS chunks on disk"
}

main() {
    mkdir -p "$SCRATCH"
    chmod 755 "$SCRATCH"  # the slurm user must reach its state folder inside it
    say "scratch folder $SCRATCH; python $PYTHON"
    start_cluster
    local slurm_dir="$SCRATCH/slurm_study" basic_dir="$SCRATCH/basic_study" joblib_dir="$SCRATCH/joblib_study"

    timed design_slurm sensitivity "${STUDY[@]}" sensitivity.dir="$slurm_dir" sensitivity.stage=design
    kill_midway "$slurm_dir"
    timed resume_slurm sensitivity -m "${STUDY[@]}" sensitivity.dir="$slurm_dir" \
        sensitivity.stage=evaluate "$EVERY_CHUNK" "${SLURM[@]}"
    local skipped
    skipped=$(grep -h "already done" "$slurm_dir"/logs/*/*/*/sensitivity.log 2>/dev/null | wc -l)
    say "resumed sweep: $skipped chunks returned at once as already done"
    ((skipped >= 1)) || fail "the resumed sweep re-ran finished chunks"
    timed analyze_slurm sensitivity "${STUDY[@]}" sensitivity.dir="$slurm_dir" sensitivity.stage=analyze

    timed design_basic sensitivity "${STUDY[@]}" sensitivity.dir="$basic_dir" sensitivity.stage=design
    timed evaluate_basic sensitivity -m "${STUDY[@]}" sensitivity.dir="$basic_dir" \
        sensitivity.stage=evaluate "$EVERY_CHUNK" hydra/launcher=basic
    timed analyze_basic sensitivity "${STUDY[@]}" sensitivity.dir="$basic_dir" sensitivity.stage=analyze

    timed design_joblib sensitivity "${STUDY[@]}" sensitivity.dir="$joblib_dir" sensitivity.stage=design
    timed evaluate_joblib sensitivity -m "${STUDY[@]}" sensitivity.dir="$joblib_dir" \
        sensitivity.stage=evaluate "$EVERY_CHUNK" hydra/launcher=joblib hydra.launcher.n_jobs=2
    timed analyze_joblib sensitivity "${STUDY[@]}" sensitivity.dir="$joblib_dir" sensitivity.stage=analyze

    "$PYTHON" "$REPO/tests/slurm/same_results.py" "$basic_dir" "$slurm_dir" "$joblib_dir" \
        || fail "Slurm (killed and resumed), basic and joblib results differ"
    say "Slurm (killed and resumed), basic and joblib runs agree bit for bit"
}

main
