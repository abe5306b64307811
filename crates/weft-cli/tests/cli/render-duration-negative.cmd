args: render programs/sine.weft --format wav --duration -1 --cache {tmp}/c -o {tmp}/o.wav
exit: 2
absent: o.wav
