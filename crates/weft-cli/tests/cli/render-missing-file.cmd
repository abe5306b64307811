args: render {tmp}/nothing.weft --cache {tmp}/c -o {tmp}/o.mp4
exit: 3
absent: o.mp4
