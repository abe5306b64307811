# The top-level help lists every subcommand.
args: --help
exit: 0
stdout-has: check
stdout-has: eval
stdout-has: frame
stdout-has: audio
stdout-has: graph
stdout-has: fmt
stdout-has: lsp
