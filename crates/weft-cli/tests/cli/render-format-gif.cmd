args: render programs/picture.weft --format gif --cache {tmp}/c -o {tmp}/o.gif
exit: 2
stderr-has: expected mp4, png or wav
absent: o.gif
