args: audio {examples}/tone.weft --duration 0.01 --rate 0 -o {tmp}/out.wav
exit: 2
absent: out.wav
