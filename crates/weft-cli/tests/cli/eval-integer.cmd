# Rust's `{}` for f64: a whole number prints without a fraction.
args: eval programs/values.weft one@v
exit: 0
stdout: 1
