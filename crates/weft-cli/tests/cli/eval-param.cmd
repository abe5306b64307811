args: eval {examples}/tone.weft freq@hz --param freq=440
exit: 0
stdout: 440
