# a port out of range: the option and its range, exit 2, no server started
tessera index -q --db db data/corpus || exit 10
tessera serve --db db --listen 127.0.0.1:99999
