args: eval programs/values.weft inf@v
exit: 0
stdout: inf
