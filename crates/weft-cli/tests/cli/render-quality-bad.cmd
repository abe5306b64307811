# An unknown quality preset is a usage error.
args: render programs/picture.weft --quality ultra --cache {tmp}/c -o {tmp}/o.mp4
exit: 2
stderr-has: expected low, medium or high
absent: o.mp4
absent: c
