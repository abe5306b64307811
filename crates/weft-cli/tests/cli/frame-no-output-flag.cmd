args: frame {examples}/gradient.weft
exit: 2
stderr-has: --output
