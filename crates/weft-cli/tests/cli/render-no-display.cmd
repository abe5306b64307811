# A video needs a display output.
args: render programs/sine.weft --cache {tmp}/c -o {tmp}/o.mp4
exit: 1
stderr-has: has no `display` output
absent: o.mp4
