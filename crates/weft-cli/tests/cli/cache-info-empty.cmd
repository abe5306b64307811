args: cache info --cache {tmp}/c
exit: 0
stdout-has: 0 entries
absent: c
