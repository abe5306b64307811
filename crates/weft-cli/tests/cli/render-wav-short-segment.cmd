# A segment shorter than a frame has no picture but keeps its sound.
args: render programs/blip.weft --format wav --rate 1000 --fps 4 --cache {tmp}/c -o {tmp}/o.wav
exit: 0
exists: o.wav
stdout-has: 3 chunks: 3 rendered
