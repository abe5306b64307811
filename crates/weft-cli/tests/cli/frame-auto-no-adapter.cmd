# `--backend auto` without an adapter draws on the CPU and says why in one line.
args: frame {examples}/gradient.weft --size 16x9 -o {tmp}/out.png
env: WGPU_BACKEND=metal
exit: 0
stderr: note: pictures are drawn on the CPU: no graphics adapter found: install Mesa's Vulkan drivers (Debian/Ubuntu: `sudo apt-get install mesa-vulkan-drivers libvulkan1`, which include the lavapipe CPU driver), or run with `--backend cpu`
exists: out.png
