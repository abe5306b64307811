args: cache shred
exit: 2
