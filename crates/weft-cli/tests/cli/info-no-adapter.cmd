# `weft info` without an adapter says the CPU draws, and why, in one note.
args: info
env: WGPU_BACKEND=metal
exit: 0
stdout-has: pictures drawn by cpu
stderr-has: note: pictures are drawn on the CPU: no graphics adapter found
