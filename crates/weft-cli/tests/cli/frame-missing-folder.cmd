# Output into a folder that does not exist is an I/O error.
args: frame {examples}/gradient.weft --size 4x4 -o {tmp}/missing/out.png
exit: 3
stderr-has: missing/out.png
