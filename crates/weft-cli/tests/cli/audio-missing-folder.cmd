args: audio {examples}/tone.weft --duration 0.01 --rate 8000 -o {tmp}/missing/out.wav
exit: 3
