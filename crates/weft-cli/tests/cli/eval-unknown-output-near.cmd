# A misspelt output says which one it probably meant (case alone counts).
args: eval {examples}/gradient.weft img@G
exit: 2
stdout:
stderr-has: `img` has no output `G`; its outputs: r, g, b; did you mean `g`?
