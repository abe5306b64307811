# A file already in the canonical layout: nothing listed, exit 0.
args: fmt --check programs/picture.weft
exit: 0
stdout:
