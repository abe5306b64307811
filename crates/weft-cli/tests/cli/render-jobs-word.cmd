args: render programs/picture.weft --jobs many --cache {tmp}/c -o {tmp}/o.mp4
exit: 2
absent: o.mp4
