args: eval {examples}/gradient.weft img@r --at x
exit: 2
stderr-has: --at
