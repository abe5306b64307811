args: eval programs/values.weft ninf@v
exit: 0
stdout: -inf
