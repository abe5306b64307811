args: graph programs/segments.weft --segment high
exit: 0
stdout-has: == segment high
stdout-lacks: == segment low
