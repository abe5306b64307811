# A file that does not parse is refused with its diagnostics, exit 1.
args: fmt programs/syntax-error.weft
exit: 1
stdout:
stderr-has: programs/syntax-error.weft:2:16: error[E0201]: expected an expression
