args: eval {examples}/gradient.weft img
exit: 2
stderr-has: INSTANCE@OUTPUT
