args: eval {examples}/gradient.weft zz@r
exit: 2
stdout:
stderr-has: no instance `zz`
stderr-has: instances: img
