#!/bin/sh
# tests/cli/fuzz_campaign.sh - tests/fuzz/campaign.sh, the long fuzzing
# campaign's driver, on a stand-in target (a script that answers as a
# libFuzzer binary does: final stats on its output, one new input kept in
# the corpus directory it is given): the summary line it writes counts the
# executions, coverage and corpus of the run, with OUT given as an absolute
# path and as a relative one (the jobs run inside OUT/logs/<target>: a
# relative OUT once left every count 0), and FUZZ_REPLAY runs the kept
# inputs through a second build.
#
#   sh tests/cli/fuzz_campaign.sh [-v]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
[ "${1:-}" = -v ] && verbose=1
work=$(mktemp -d "${TMPDIR:-/tmp}/tsr-campaign-XXXXXX") || exit 5
trap 'rm -rf "$work"' EXIT

# the stand-in target: the last argument that is a directory is its corpus
mkdir -p "$work/bin" "$work/replay"
cat > "$work/bin/fuzz_fake" <<'EOS'
#!/bin/sh
corpus=
for a in "$@"; do [ -d "$a" ] && [ -z "$corpus" ] && corpus=$a; done
case " $* " in *" -runs=0 "*) exit 0 ;; esac
[ -n "$corpus" ] && echo kept > "$corpus/input-1"
echo "#1000	NEW    cov: 17 ft: 23 corp: 1/5b exec/s: 500"
echo "stat::number_of_executed_units: 1234"
EOS
chmod +x "$work/bin/fuzz_fake"
cp "$work/bin/fuzz_fake" "$work/replay/fuzz_fake"

# OUT AS-GIVEN [ENV...] -> the campaign's summary line, checked
campaign() {
    label=$1
    out=$2
    shift 2
    (cd "$work" && rm -rf run && mkdir -p run && cp -p bin/fuzz_fake run/ &&
     env "$@" sh "$root/tests/fuzz/campaign.sh" "$out" 1 5 fuzz_fake >/dev/null 2>&1)
    line=$(grep -v '^#' "$work/run/campaign.txt" 2>/dev/null | tail -n 1)
    case $line in
    *" fuzz_fake time "*" jobs 1 execs 1234 "*" cov 17 ft 23 corpus 1 crashes 0 short of 10^7"*) ;;
    *) tsr_fail "$label: summary: '$line'"; return ;;
    esac
    if [ $# -gt 0 ]; then
        case $line in
        *" replay 1 inputs under "*": ok") ;;
        *) tsr_fail "$label: no replay in '$line'"; return ;;
        esac
    fi
    tsr_ok "$label"
}

campaign "absolute OUT" "$work/run"
campaign "relative OUT" run
campaign "replay" run FUZZ_REPLAY="$work/replay"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
