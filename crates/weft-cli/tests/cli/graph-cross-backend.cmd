# A strand both outputs read: owned by the visual backend, read by audio through a getter.
args: graph {examples}/pulse.weft
exit: 0
stdout-has: 1 visual [phase, env, dist, disc, display]
stdout-has: 2 audio  [click, play]
stdout-has: env@v: visual batch 1 -> audio batch 2 via value getter
