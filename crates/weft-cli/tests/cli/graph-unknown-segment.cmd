args: graph programs/segments.weft --segment middle
exit: 2
stderr-has: low, high
