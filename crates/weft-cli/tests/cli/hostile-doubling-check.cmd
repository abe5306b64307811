# Spindles that call the one below twice, 30 levels deep: a tree of 2^30 calls,
# inlined as a DAG of a few hundred nodes. Once 10 s and 0.9 GB at depth 22.
args: check programs/doubling30.weft
exit: 0
stderr:
