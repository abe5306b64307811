args: eval {examples}/gradient.weft img@r --at x=nan
exit: 2
