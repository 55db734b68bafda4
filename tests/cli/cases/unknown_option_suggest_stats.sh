# a mistyped option of stats: the nearest of its own options, exit 2
tessera stats --jsno
