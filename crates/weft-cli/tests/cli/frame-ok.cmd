args: frame {examples}/gradient.weft --time 0.5 --size 16x9 -o {tmp}/out.png
exit: 0
exists: out.png
