args: eval {examples}/tone.weft freq@hz --param freq=1
exit: 0
stdout: 55
