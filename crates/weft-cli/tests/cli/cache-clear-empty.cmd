args: cache clear {tmp}
exit: 0
stdout-has: nothing to clear
