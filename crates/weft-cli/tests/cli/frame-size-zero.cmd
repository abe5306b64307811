args: frame {examples}/gradient.weft --size 0x5 -o {tmp}/out.png
exit: 2
stderr-has: 0x5
absent: out.png
