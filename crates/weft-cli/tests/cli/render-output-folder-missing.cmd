# The output's folder must exist: nothing is rendered otherwise.
args: render programs/picture.weft --size 16x8 --fps 4 --cache {tmp}/c -o {tmp}/no/such/o.mp4
exit: 3
absent: no
absent: c/chunks
