args: eval {examples}/taste.weft pulse@v --at time=0.125
exit: 0
stdout: 1
