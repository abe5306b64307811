args: frame {examples}/gradient.weft --bogus -o {tmp}/out.png
exit: 2
stderr-has: --bogus
absent: out.png
