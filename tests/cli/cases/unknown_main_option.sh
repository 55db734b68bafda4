# a mistyped option before any command: one line with the nearest, exit 2
tessera --verison
