args: audio --help
exit: 0
stdout-has: Usage: weft audio
stdout-has: --duration
stdout-has: --rate
stdout-has: --output
stdout-has: --param
stdout-has: --mic
stdout-has: --camera
