args: eval programs/values.weft quarter@v
exit: 0
stdout: 0.25
