args: cache
exit: 2
