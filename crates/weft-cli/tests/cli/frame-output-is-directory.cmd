args: frame {examples}/gradient.weft --size 4x4 -o {tmp}
exit: 3
