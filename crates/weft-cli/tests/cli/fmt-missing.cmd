# A file that cannot be read is an I/O error.
args: fmt programs/no-such-file.weft
exit: 3
stderr-has: no-such-file.weft
