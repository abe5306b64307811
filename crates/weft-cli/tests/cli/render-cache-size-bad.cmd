args: render programs/picture.weft --cache-size lots --cache {tmp}/c -o {tmp}/o.mp4
exit: 2
stderr-has: such as 500M
absent: o.mp4
