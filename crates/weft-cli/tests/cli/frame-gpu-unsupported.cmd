# A program the GPU path does not support yet (a picture source) is drawn on the
# CPU with one line saying why.
args: frame ../../../../tests/conformance/sources/display_load.weft --size 4x3 --backend gpu -o {tmp}/out.png
exit: 0
stderr: note: drawing on the CPU: the GPU path does not support sources (pictures, video, sound) yet
exists: out.png
