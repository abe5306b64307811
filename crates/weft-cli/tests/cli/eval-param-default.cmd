args: eval {examples}/tone.weft freq@hz
exit: 0
stdout: 220
