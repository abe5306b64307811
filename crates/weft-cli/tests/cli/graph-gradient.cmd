args: graph {examples}/gradient.weft
exit: 0
stdout-has: nodes (in run order):
stdout-has: owner visual
stdout-has: batches:
stdout-has: 1 visual [img, display]
stdout-has: wiring:
