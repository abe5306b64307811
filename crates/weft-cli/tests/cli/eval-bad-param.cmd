args: eval {examples}/tone.weft freq@hz --param freq
exit: 2
stderr-has: --param
