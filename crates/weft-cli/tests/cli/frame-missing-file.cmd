args: frame programs/no-such-file.weft -o {tmp}/out.png
exit: 3
absent: out.png
