args: frame {examples}/gradient.weft --size 100000x1 -o {tmp}/out.png
exit: 2
absent: out.png
