# A clean file: exit 0 and nothing on stderr.
args: check {examples}/gradient.weft
exit: 0
stdout:
stderr:
