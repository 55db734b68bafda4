# bench/lib.sh - helpers shared by the benchmark scripts (sourced; POSIX sh).
# Needs $py (a python3) for jget.

# FILE FIELD -> number, from a `/usr/bin/time -v` report: wall (seconds, from
# "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.3"), user, sys, cpu
# (user + sys seconds), rss (peak resident set, kB).
tv() {
    case $2 in
    wall) sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" |
          awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' ;;
    user) sed -n 's/.*User time (seconds): //p' "$1" ;;
    sys)  sed -n 's/.*System time (seconds): //p' "$1" ;;
    cpu)  awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$1" ;;
    rss)  sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" ;;
    esac
}

# JSON-FILE KEY -> value; KEY may be dotted ("check.p50").
jget() {
    "$py" -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"
}

# FORMAT EXPRESSION -> the expression, computed by awk and printed with FORMAT.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
