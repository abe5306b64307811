args: eval {examples}/gradient.weft img@q
exit: 2
stderr-has: `img` has no output `q`
stderr-has: r, g, b
