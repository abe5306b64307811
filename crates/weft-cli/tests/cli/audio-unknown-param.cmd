args: audio {examples}/tone.weft --duration 0.01 --param nope=1 -o {tmp}/out.wav
exit: 2
absent: out.wav
