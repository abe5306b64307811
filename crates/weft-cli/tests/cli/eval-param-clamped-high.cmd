# A parameter is clamped to its range.
args: eval {examples}/tone.weft freq@hz --param freq=10000
exit: 0
stdout: 880
