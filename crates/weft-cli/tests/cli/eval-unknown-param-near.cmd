# A misspelt parameter says which one it probably meant.
args: eval {examples}/tone.weft freq@hz --param frq=300
exit: 2
stdout:
stderr-has: no parameter `frq`; parameters: freq; did you mean `freq`?
