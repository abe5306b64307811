# A program error wins over the query: exit 1.
args: eval programs/undefined.weft img@v
exit: 1
stderr-has: error[E0301]
