args: frame {examples}/gradient.weft --time nan -o {tmp}/out.png
exit: 2
stderr-has: nan
absent: out.png
