# A misspelt instance, output or parameter says which one it probably meant.
args: eval {examples}/gradient.weft ing@r
exit: 2
stdout:
stderr-has: no instance `ing`
stderr-has: instances: img; did you mean `img`?
