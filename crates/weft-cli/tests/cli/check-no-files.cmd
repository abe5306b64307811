args: check
exit: 2
