args: status programs/picture.weft --quality best
exit: 2
