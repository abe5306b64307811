# A mono sound (one segment plays, one is silent) in a video: AAC takes it as stereo.
args: render programs/picture.weft --size 16x8 --fps 4 --cache {tmp}/c -o {tmp}/o.mp4
exit: 0
exists: o.mp4
stdout-has: 2 chunks: 2 rendered, 0 cached
