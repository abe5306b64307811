args: audio programs/undefined.weft --duration 0.01 -o {tmp}/out.wav
exit: 1
stderr-has: error[E0301]
absent: out.wav
