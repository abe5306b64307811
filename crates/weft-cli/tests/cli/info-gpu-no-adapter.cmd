# `weft info --backend gpu` with no adapter: exit 3 naming what to install.
args: info --backend gpu
env: WGPU_BACKEND=metal
exit: 3
stderr-has: mesa-vulkan-drivers libvulkan1
