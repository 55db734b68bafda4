# --db names a folder that is no index: exit 4, with the hint
mkdir empty
tessera discover --db empty
