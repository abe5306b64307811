args: eval programs/values.weft nan@v
exit: 0
stdout: NaN
