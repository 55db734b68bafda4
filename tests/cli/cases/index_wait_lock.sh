# a locked index: index fails at once (exit 4) without --wait-lock; with
# --wait-lock it waits for the other writer to finish, then adds; with
# --wait-lock=S it gives up after S seconds (exit 4)
tessera index -q --db db data/docs.jsonl || exit 10
flock db/LOCK sleep 3 &
i=0   # until the other writer holds the lock
while flock -n db/LOCK true 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
tessera index -q --db db data/corpus; echo "no wait: exit $?"
tessera index -q --db db --wait-lock=0.2 data/corpus; echo "0.2 s: exit $?"
tessera index -q --db db --wait-lock data/corpus; echo "wait: exit $?"
wait
tessera stats --db db --json | sed 's/.*"documents":\([0-9]*\).*/documents \1/'
