args: render programs/picture.weft --colour red
exit: 2
