# `--backend gpu` where wgpu finds no adapter (here: only Metal asked for, which
# this platform lacks): exit 3 with what to install.
args: frame {examples}/gradient.weft --size 16x9 --backend gpu -o {tmp}/out.png
env: WGPU_BACKEND=metal
exit: 3
stderr-has: no graphics adapter found
stderr-has: mesa-vulkan-drivers libvulkan1
absent: out.png
