# no --db, no TESSERA_DB and no ./tessera.tsr: exit 4, with a hint at --db and TESSERA_DB
unset TESSERA_DB
tessera check data/query.txt
