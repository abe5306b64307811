# `weft --version` prints the crate version.
args: --version
exit: 0
stdout: weft {version}
