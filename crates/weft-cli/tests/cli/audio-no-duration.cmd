args: audio {examples}/tone.weft -o {tmp}/out.wav
exit: 2
stderr-has: --duration
absent: out.wav
