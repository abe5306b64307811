args: status {tmp}/nothing.weft
exit: 3
