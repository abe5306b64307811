# With segments, --duration defaults to the whole timeline.
args: audio programs/segments.weft --rate 8000 -o {tmp}/out.wav
exit: 0
exists: out.wav
