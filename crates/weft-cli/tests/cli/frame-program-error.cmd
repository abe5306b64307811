# A failing render leaves no file (nor a temporary one) behind.
args: frame programs/undefined.weft -o {tmp}/out.png
exit: 1
stderr-has: programs/undefined.weft:2:17: error[E0301]
absent: out.png
