args: audio {examples}/tone.weft --duration nan -o {tmp}/out.wav
exit: 2
absent: out.wav
