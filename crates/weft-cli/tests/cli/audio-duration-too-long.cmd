args: audio {examples}/tone.weft --duration 1e9 -o {tmp}/out.wav
exit: 2
absent: out.wav
