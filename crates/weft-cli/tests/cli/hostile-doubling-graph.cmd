# The 2^30-call spindle tree has a graph and a kernel.
args: graph programs/doubling30.weft
exit: 0
stdout-has: img
stdout-has: batch
