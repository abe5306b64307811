args: eval programs/values.weft third@v
exit: 0
stdout: 0.3333333333333333
