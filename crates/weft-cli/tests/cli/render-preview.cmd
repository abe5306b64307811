args: render programs/picture.weft --preview --size 16x8 -o {tmp}/p
exit: 0
exists: p/01-one.png
exists: p/02-two.png
