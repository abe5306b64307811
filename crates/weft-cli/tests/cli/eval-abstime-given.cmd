args: eval programs/values.weft clock@abstime --at time=2,abstime=5
exit: 0
stdout: 5
