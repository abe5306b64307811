args: eval programs a@b
exit: 3
