args: render programs/picture.weft --jobs 0 --cache {tmp}/c -o {tmp}/o.mp4
exit: 2
absent: o.mp4
