# `--backend gpu` draws on the GPU (lavapipe at least, installed by the set-up).
args: frame {examples}/gradient.weft --time 0.5 --size 16x9 --backend gpu -o {tmp}/out.png
exit: 0
stderr:
exists: out.png
