# The 2^30-call spindle tree evaluates: sum of C(30, k) sin(0.5 + k).
args: eval programs/doubling30.weft img@r --at x=0.5
exit: 0
stdout: 4409517.59278913
