#!/bin/sh
# tests/fuzz/campaign.sh - a long fuzzing campaign: every target in turn.
#
#   sh tests/fuzz/campaign.sh OUT JOBS [SECONDS] [TARGET...]
#
# Run by `make fuzz-long` (top directory) or `make -f tests/fuzz/Makefile
# campaign`, after the targets are built in OUT.  Each target fuzzes for
# SECONDS, or by default until it has made 10^7 executions (10^7 / JOBS
# per job, libFuzzer's -runs) within its own time from the table below,
# in JOBS libFuzzer jobs on as many workers (at most 2: the machine is
# shared), seeded from tests/fuzz/corpus/<target>/, new inputs kept in
# OUT/corpus/<target>/.
# Crashes, leaks, timeouts and out-of-memory inputs go to
# OUT/crashes/<target>/, the jobs' logs to OUT/logs/<target>/.  Each target
# adds one line to OUT/campaign.txt:
#
#   <date> <target> time <s> jobs <n> execs <n> (<n>/s) cov <n> ft <n> corpus <n> crashes <n> [short of 10^7]
#
# and, with FUZZ_REPLAY set (a directory of the ASan + UBSan builds of the
# same targets: a campaign of a UBSan-only build, FUZZ_SAN=undefined),
#
#   ... replay <n> inputs under <dir>: <ok | FAULT (see crashes)>
#
# every input the campaign kept in OUT/corpus/<target>/ run once more
# through that build (libFuzzer -runs=0), whose faults go to
# OUT/crashes/<target>/ as replay-*.
#
# time is the time it took (execs/s: over all the jobs),
# execs the sum of the jobs' stat::number_of_executed_units
# (-print_final_stats=1), cov and ft the largest of the jobs' last counts
# (the union of the jobs' corpora covers at least that much), corpus the
# inputs in OUT/corpus/<target>/, crashes the files the campaign left in
# OUT/crashes/<target>/.  A target under 10^7 executions says so.
#
# The time limit of a target, by default, is what 10^7 executions take
# one job at the slowest rate it showed over 60 s on the 2-core build
# machine (tests/fuzz/README.md):  10^7 / exec/s.  Two jobs make about
# 1.75 times the executions of one, so they reach 10^7 in about 57% of
# it and stop there; the rest is room for a loaded machine (rates seen
# vary by half).  Retune a target's time when it gets slower.

set -u
out=${1:?usage: campaign.sh OUT JOBS [SECONDS] [TARGET...]}
jobs=${2:-2}
secs=${3:-}
[ $# -ge 3 ] && shift 3 || shift $#
# absolute: the jobs run inside OUT/logs/<target>
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 1
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -le 2 ] || jobs=2

# seconds per target for 10^7 executions with 2 jobs (see above)
default_time() {
    case $1 in
    fuzz_align)     echo 2100 ;;    #  4,758/s (fifth session, loaded machine)
    fuzz_catalog)   echo 15600 ;;   #    641/s a job (2026-12-04, UBSan only: 10^7 in 7,799 s with 2 jobs)
    fuzz_http)      echo 2000 ;;    #  5,005/s (idem)
    fuzz_json_body) echo 15200 ;;   #    659/s with 2 jobs (2026-12-05, UBSan only, loaded: 6.5M in 9,900 s)
    fuzz_jsonl)     echo 1700 ;;    #  6,167/s (2026-12-03, nice 19 on a loaded machine)
    fuzz_reader)    echo 13000 ;;   #    770/s a job (2026-12-04, UBSan only: 10^7 in 7,224 s with 2 jobs)
    fuzz_segment)   echo 1000 ;;    # 11,044/s
    fuzz_shards)    echo 4000 ;;    #  5,150/s from the seeds, 2,650/s once the corpus grows
    fuzz_wet)       echo 1100 ;;    #  9,096/s
    *)              echo 38500 ;;   # a new target: measure it, then add it here
    esac
}

targets=$*
if [ -z "$targets" ]; then
    for f in "$root"/tests/fuzz/fuzz_*.c; do
        t=$(basename "$f" .c)
        targets="$targets $t"
    done
fi

# The targets write their files under TMPDIR: a tmpfs when there is one
# (file creation on ext4 was a fifth of fuzz_reader's time).
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    TMPDIR=/dev/shm
    export TMPDIR
fi

summary=$out/campaign.txt
{
    echo "# campaign $(date -u +%Y-%m-%dT%H:%M:%SZ): commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), -fsanitize=${FUZZ_SAN:-address,undefined}," \
         "$(${FUZZ_CC:-clang} --version 2>/dev/null | head -n 1), $(nproc) cores," \
         "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
} >>"$summary"

status=0
for t in $targets; do
    bin=$out/$t
    if [ ! -x "$bin" ]; then
        echo "campaign: $bin is missing (build it first: make fuzz)" >&2
        status=1
        continue
    fi
    time=${secs:-$(default_time "$t")}
    runs=
    [ -n "$secs" ] || runs=-runs=$(( (10000000 + jobs - 1) / jobs ))
    corpus=$out/corpus/$t
    crashes=$out/crashes/$t
    logs=$out/logs/$t
    mkdir -p "$corpus" "$crashes" "$logs"
    rm -f "$logs"/fuzz-*.log
    seeds=
    [ -d "$root/tests/fuzz/corpus/$t" ] && seeds=$root/tests/fuzz/corpus/$t
    before=$(ls "$crashes" | wc -l)
    echo "campaign: $t, $time s at most, on $jobs worker(s)"
    t0=$(date +%s)
    # -jobs writes each job's output to fuzz-<n>.log in the current directory
    (cd "$logs" && "$bin" -jobs="$jobs" -workers="$jobs" -max_total_time="$time" \
        $runs -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$crashes/" ${FUZZ_ARGS:-} "$corpus" $seeds >"$logs/driver.log" 2>&1)
    after=$(ls "$crashes" | wc -l)
    elapsed=$(( $(date +%s) - t0 ))
    # one job's log when -jobs=1 writes none of its own
    ls "$logs"/fuzz-*.log >/dev/null 2>&1 || cp "$logs/driver.log" "$logs/fuzz-0.log"
    cat "$logs"/fuzz-*.log | awk -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v t="$t" \
        -v time="$elapsed" -v jobs="$jobs" -v ncorp="$(ls "$corpus" | wc -l)" \
        -v crashes=$((after - before)) '
        /^stat::number_of_executed_units:/ { execs += $2 }
        / cov: [0-9]+ ft: [0-9]+/ {
            for (i = 1; i < NF; i++) {
                if ($i == "cov:" && $(i + 1) + 0 > cov) cov = $(i + 1) + 0
                if ($i == "ft:" && $(i + 1) + 0 > ft) ft = $(i + 1) + 0
            }
        }
        END {
            printf "%s %s time %d jobs %d execs %d (%d/s) cov %d ft %d corpus %d crashes %d%s",
                date, t, time, jobs, execs, time ? execs / time : 0, cov, ft, ncorp, crashes,
                execs < 10000000 ? " short of 10^7" : ""
        }' > "$logs/summary"
    replay=
    if [ -n "${FUZZ_REPLAY:-}" ]; then
        if [ -x "$FUZZ_REPLAY/$t" ]; then
            (cd "$logs" && "$FUZZ_REPLAY/$t" -runs=0 -timeout=25 -rss_limit_mb=2048 \
                -artifact_prefix="$crashes/replay-" "$corpus" >"$logs/replay.log" 2>&1)
            if [ $? -eq 0 ]; then rr=ok; else rr="FAULT (see $crashes)"; status=1; fi
            replay=" replay $(ls "$corpus" | wc -l) inputs under $FUZZ_REPLAY: $rr"
        else
            replay=" replay: $FUZZ_REPLAY/$t missing"
            status=1
        fi
    fi
    echo "$(cat "$logs/summary")$replay" | tee -a "$summary"
    [ "$after" -gt "$before" ] && status=1
done
exit $status
