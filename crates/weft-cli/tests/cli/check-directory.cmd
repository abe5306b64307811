# A directory given as FILE is an I/O error, not a panic.
args: check programs
exit: 3
