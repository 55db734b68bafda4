# TESSERA_DB names no index: exit 4, the message says the name came from TESSERA_DB
TESSERA_DB=no-such-index tessera stats
