args: eval --help
exit: 0
stdout-has: Usage: weft eval
stdout-has: <INST@OUT>
stdout-has: --at
stdout-has: --param
stdout-has: --mic
stdout-has: --camera
