# WAV needs no ffmpeg; segments without play are silent.
args: render programs/segments.weft --format wav --rate 8000 --cache {tmp}/c -o {tmp}/o.wav
exit: 0
exists: o.wav
exists: c/CACHEDIR.TAG
stdout-has: 2 chunks: 2 rendered, 0 cached
