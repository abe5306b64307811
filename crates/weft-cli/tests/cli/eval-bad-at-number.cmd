args: eval {examples}/gradient.weft img@r --at x=abc
exit: 2
stderr-has: --at
