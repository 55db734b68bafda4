# $TESSERA_DB names the index when --db is absent
TESSERA_DB=db tessera index -q data/corpus || exit 10
TESSERA_DB=db tessera check --json data/query.txt
