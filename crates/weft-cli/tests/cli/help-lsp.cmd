# `weft lsp --help` says it talks over stdio.
args: lsp --help
exit: 0
stdout-has: Usage: weft lsp
stdout-has: --stdio
