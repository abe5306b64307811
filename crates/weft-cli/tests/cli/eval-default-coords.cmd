# Coordinates not given are 0.
args: eval {examples}/gradient.weft img@r
exit: 0
stdout: 0
