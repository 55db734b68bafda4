# the opposite of a switch (--significance, where --no-significance exists):
# one line saying what the switch does, not a suggestion of its opposite
tessera check --db db --significance data/query.txt
