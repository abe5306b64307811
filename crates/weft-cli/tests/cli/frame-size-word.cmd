args: frame {examples}/gradient.weft --size abc -o {tmp}/out.png
exit: 2
stderr-has: abc
absent: out.png
