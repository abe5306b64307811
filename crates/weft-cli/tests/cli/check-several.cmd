# Several clean files; the mic fallback warning is not reported by `check`.
args: check {examples}/gradient.weft {examples}/mic.weft {examples}/tone.weft {examples}/library.weft
exit: 0
stderr:
