# --check lists the files that would change and exits 1, changing nothing.
args: fmt --check programs/unformatted.weft programs/picture.weft
exit: 1
stdout: programs/unformatted.weft
