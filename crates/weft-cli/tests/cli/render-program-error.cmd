args: render programs/undefined.weft --cache {tmp}/c -o {tmp}/o.mp4
exit: 1
stderr-has: error[E0301]
absent: o.mp4
