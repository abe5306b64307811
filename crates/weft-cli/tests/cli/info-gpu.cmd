# `weft info --backend gpu` names the adapter (lavapipe at least, installed by the set-up).
args: info --backend gpu
exit: 0
stdout-has: pictures drawn by gpu on
stdout-has: sound on the CPU
