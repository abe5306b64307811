args: graph --help
exit: 0
stdout-has: Usage: weft graph
stdout-has: --segment
stdout-has: --kernels
