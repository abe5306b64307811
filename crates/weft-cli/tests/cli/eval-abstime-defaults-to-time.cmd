args: eval programs/values.weft clock@abstime --at time=2
exit: 0
stdout: 2
