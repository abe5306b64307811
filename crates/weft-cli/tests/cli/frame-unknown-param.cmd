args: frame {examples}/gradient.weft --param nope=1 -o {tmp}/out.png
exit: 2
stderr-has: no parameter `nope`
absent: out.png
