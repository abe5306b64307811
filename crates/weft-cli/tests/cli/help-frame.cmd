args: frame --help
exit: 0
stdout-has: Usage: weft frame
stdout-has: --time
stdout-has: --size
stdout-has: --output
stdout-has: --param
stdout-has: --mic
stdout-has: --camera
