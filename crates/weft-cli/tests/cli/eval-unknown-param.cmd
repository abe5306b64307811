# An unknown parameter is a usage error that lists what exists.
args: eval {examples}/tone.weft freq@hz --param nope=1
exit: 2
stdout:
stderr-has: no parameter `nope`
stderr-has: freq
