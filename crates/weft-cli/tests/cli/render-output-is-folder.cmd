args: render programs/picture.weft --size 16x8 --fps 4 --cache {tmp}/c -o {tmp}
exit: 3
stderr-has: is a folder
