args: frame {examples}/gradient.weft --time soon -o {tmp}/out.png
exit: 2
absent: out.png
