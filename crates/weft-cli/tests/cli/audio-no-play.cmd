args: audio {examples}/gradient.weft --duration 0.01 -o {tmp}/out.wav
exit: 1
stderr-has: error[E0506]
absent: out.wav
