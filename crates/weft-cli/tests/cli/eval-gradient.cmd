args: eval {examples}/gradient.weft img@r --at x=0.25,y=0.5,time=1
exit: 0
stdout: 0.25
