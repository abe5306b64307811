args: audio {examples}/tone.weft --duration 0.01 --rate 8000 -o {tmp}/out.wav
exit: 0
exists: out.wav
