# A program error: `path:line:col: error[CODE]: message` and an excerpt, exit 1.
args: check programs/undefined.weft
exit: 1
stderr-has: programs/undefined.weft:2:17: error[E0301]: unknown instance `nothing`
stderr-has: 2 | img<v> = me@x + nothing@v
stderr-has:   |                 ^^^^^^^
