args: frame {examples}/gradient.weft --size 5x -o {tmp}/out.png
exit: 2
absent: out.png
