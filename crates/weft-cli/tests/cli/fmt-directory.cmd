# A folder given as FILE is an I/O error, not a panic.
args: fmt programs
exit: 3
