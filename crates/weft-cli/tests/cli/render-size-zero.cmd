args: render programs/picture.weft --size 0x10 --cache {tmp}/c -o {tmp}/o.mp4
exit: 2
absent: o.mp4
