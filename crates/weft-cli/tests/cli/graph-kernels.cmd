args: graph {examples}/gradient.weft --kernels
exit: 0
stdout-has: visual kernel 1
