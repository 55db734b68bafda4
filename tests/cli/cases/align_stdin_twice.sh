# align - - would read standard input twice (the second text empty): refused, exit 2
echo 'a few words of text' | tessera align - -
