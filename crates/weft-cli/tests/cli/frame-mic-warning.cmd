# Without --mic, `mic()` plays silence: a warning, exit 0.
args: frame {examples}/mic.weft --size 8x8 -o {tmp}/out.png
exit: 0
stderr-has: warning[W0601]
exists: out.png
