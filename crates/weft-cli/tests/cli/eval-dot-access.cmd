# `inst.out` means the same as `inst@out`.
args: eval {examples}/gradient.weft img.g --at y=0.75
exit: 0
stdout: 0.75
