# A coordinate the program does not use is accepted and has no effect.
args: eval {examples}/gradient.weft img@r --at zz=3,x=0.5
exit: 0
stdout: 0.5
