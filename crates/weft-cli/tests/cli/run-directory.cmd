# `weft run` on a folder says so (an I/O error), not "no such file".
args: run programs
exit: 3
stderr-has: cannot read programs: it is a directory, not a file
