args: render programs/picture.weft --fps 5000 --cache {tmp}/c -o {tmp}/o.mp4
exit: 2
stderr-has: at most 1000
absent: o.mp4
