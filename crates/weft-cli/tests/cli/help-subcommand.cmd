# `weft help frame` is the same as `weft frame --help`.
args: help frame
exit: 0
stdout-has: --time
stdout-has: --size
