# H.264 in yuv420p needs even sides.
args: render programs/picture.weft --size 33x20 --cache {tmp}/c -o {tmp}/o.mp4
exit: 2
stderr-has: even width and height
absent: o.mp4
absent: c
