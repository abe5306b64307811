# Nothing rendered yet: every segment is pending; status creates no cache.
args: status programs/picture.weft --cache {tmp}/c
exit: 0
stdout-has: ○ pending
stdout-lacks: cached
absent: c
