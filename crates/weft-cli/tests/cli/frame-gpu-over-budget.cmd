# A display over the GPU's shader budget is drawn on the CPU, with warning W0802
# at the statement the GPU could not draw.
args: frame programs/over-shader-budget.weft --size 4x3 --backend gpu -o {tmp}/out.png
exit: 0
stderr-has: warning[W0802]: drawn on the CPU: kernel of
stderr-has: over the shader budget of 8192
stderr-has: over-shader-budget.weft:17:1
exists: out.png
