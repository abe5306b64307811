# `weft fmt --help` names its options.
args: fmt --help
exit: 0
stdout-has: Usage: weft fmt
stdout-has: --check
