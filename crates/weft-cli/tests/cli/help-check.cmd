args: check --help
exit: 0
stdout-has: Usage: weft check
stdout-has: <FILE>...
