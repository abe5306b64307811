# A --mic file that cannot be read is a program error at the `mic()` call.
args: frame {examples}/mic.weft --size 8x8 --mic programs/no-such.wav -o {tmp}/out.png
exit: 1
stderr-has: error[E0601]
absent: out.png
