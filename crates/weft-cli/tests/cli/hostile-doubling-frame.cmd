# The 2^30-call spindle tree renders.
args: frame programs/doubling30.weft --size 4x2 -o {tmp}/out.png
exit: 0
exists: out.png
