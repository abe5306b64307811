args: render programs/values.weft --format wav --cache {tmp}/c -o {tmp}/o.wav
exit: 1
stderr-has: has no `play` output
absent: o.wav
