args:
exit: 2
